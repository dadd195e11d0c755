// chainloop-trace OpenCode plugin (format 1). Written by `trace init --opencode`; `trace uninstall`
// removes it. Do not edit: `trace init` writes it again.
//
// It tells trace (https://github.com/chainloop-dev/trace) which lines OpenCode writes: before and after
// each edit and shell call, on each prompt, at the end of each turn and with each response's token
// counts, it runs `trace hook opencode <event>` with a JSON payload on stdin, and only when `trace` is
// on the PATH. It never holds a tool call longer than its timeout, and throws into OpenCode only to
// block a call: before each tool that can change something it asks trace's guard
// (`trace hook opencode guard`), and a deny (or a guard failing in enforce mode) throws from
// tool.execute.before, which stops the call and tells the model why.
//
// Plain JavaScript in a .ts file, with no imports but node:child_process, so that it loads without
// @opencode-ai/plugin installed. One default export serves both plugin APIs: OpenCode 1.x (from
// 1.18.29) calls `server()` (the `Hooks` object of @opencode-ai/plugin), OpenCode 2.x calls
// `setup(ctx)` (@opencode/plugin).
/* global setTimeout, clearTimeout, AbortController, Buffer */
import { spawn } from 'node:child_process';

const FILE_TOOLS = ['edit', 'write', 'patch', 'multiedit', 'apply_patch'];
const SHELL_TOOLS = ['bash', 'shell'];
/** Tools that only read: the guard is not asked about them (every other tool, MCP ones too, is guarded). */
const READ_ONLY_TOOLS = ['read', 'glob', 'grep', 'list', 'ls', 'todoread', 'todowrite', 'webfetch', 'websearch', 'codesearch', 'lsp', 'skill', 'question'];
/** How long a tool call may wait on the guard (ms); past it the call goes ahead. */
const GUARD_TIMEOUT = 10000;
/** bin/trace's exit when the guard cannot run and the project enforces it: block the call. */
const GUARD_FAILED = 70;
/** How long OpenCode may wait on trace, per event (ms). Tool events snapshot files, so they get more. */
const TIMEOUTS = { 'pre-tool-use': 30000, 'post-tool-use': 30000, 'post-tool-use-failure': 30000, 'user-prompt-submit': 10000 };
const DEFAULT_TIMEOUT = 10000;
/** A tool's output is cut to this many characters in the payload: trace keeps the call, not its output. */
const MAX_OUTPUT = 2000;
/** Remembered ids (sent usage, sent posts, session parents) are forgotten past this many. */
const MAX_REMEMBERED = 4096;

/** The shell command for `event`: does nothing when trace is not installed. */
function traceCommand(event) {
  return `if command -v trace >/dev/null 2>&1; then trace hook opencode ${event}; fi`;
}

/** Runs trace's hook for `event` with `payload` on stdin; resolves when it exits or times out, never rejects. */
function send(cwd, event, payload) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('/bin/sh', ['-c', traceCommand(event)], { cwd, stdio: ['pipe', 'ignore', 'ignore'] });
    } catch {
      return resolve();
    }
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone already
      }
      resolve();
    }, TIMEOUTS[event] ?? DEFAULT_TIMEOUT);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    child.on('error', done);
    child.on('close', done);
    try {
      child.stdin.on('error', () => {});
      child.stdin.end(JSON.stringify(payload));
    } catch {
      done();
    }
  });
}

/**
 * Asks trace's guard about a tool call: resolves to the reason when the call must not run, else
 * undefined (allowed, warned, trace absent, or no answer within GUARD_TIMEOUT).
 */
function askGuard(cwd, payload) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('/bin/sh', ['-c', traceCommand('guard')], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch {
      return resolve(undefined);
    }
    const out = [];
    const err = [];
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone already
      }
      resolve(undefined);
    }, GUARD_TIMEOUT);
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      let answer;
      try {
        answer = JSON.parse(Buffer.concat(out).toString('utf8'));
      } catch {
        answer = undefined;
      }
      if (answer && answer.decision === 'deny') return resolve(String(answer.reason ?? 'denied by trace guard'));
      if (code === GUARD_FAILED) return resolve(`trace guard failed and trace.guard.mode is enforce: ${Buffer.concat(err).toString('utf8').trim()}`);
      resolve(undefined);
    });
    try {
      child.stdin.on('error', () => {});
      child.stdin.end(JSON.stringify(payload));
    } catch {
      // the guard reads an empty payload and answers for it
    }
  });
}

function remember(set, key) {
  if (set.size >= MAX_REMEMBERED) set.clear();
  set.add(key);
}

function cut(text) {
  return typeof text === 'string' && text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}…` : text;
}

/**
 * What trace keeps of a tool's result: the title, the start of the output, the metadata of file tools
 * (what they say of the file before) without its `diff`, which repeats their per-file patches.
 */
function resultOf(tool, title, output, metadata) {
  const result = { title, output: cut(output) };
  if (FILE_TOOLS.includes(tool) && metadata && typeof metadata === 'object') {
    const kept = { ...metadata };
    delete kept.diff;
    result.metadata = kept;
  }
  else if (metadata && typeof metadata === 'object' && 'exit' in metadata) result.metadata = { exit: metadata.exit };
  return result;
}

/** The plugin's state and payloads, shared by both APIs. */
function tracer(api, directory) {
  const parents = new Map();
  const sentUsage = new Set();
  const sentPosts = new Set();
  const pending = new Map();
  const rootOf = (sessionID) => {
    let id = sessionID;
    for (let hops = 0; hops < 32 && parents.has(id); hops++) id = parents.get(id);
    return id;
  };
  const base = (sessionID) => {
    const payload = { plugin: 'chainloop-trace', format: 1, api, session_id: sessionID, cwd: directory };
    const parent = parents.get(sessionID);
    if (parent) {
      payload.parent_session_id = parent;
      payload.root_session_id = rootOf(sessionID);
    }
    return payload;
  };
  const safely = async (event, sessionID, fields) => {
    try {
      if (typeof sessionID !== 'string' || sessionID === '') return;
      await send(directory, event, { ...base(sessionID), ...fields });
    } catch {
      // trace must never break OpenCode
    }
  };
  return {
    /** A session seen created or updated: remember its parent (a subagent's child session). */
    session(info) {
      if (!info || typeof info.id !== 'string') return false;
      if (typeof info.parentID === 'string' && info.parentID !== '') {
        if (parents.size >= MAX_REMEMBERED) parents.clear();
        parents.set(info.id, info.parentID);
      }
      return parents.has(info.id);
    },
    started(info, version) {
      if (this.session(info)) return;
      return safely('session-start', info.id, { title: info.title, opencode_version: version ?? info.version });
    },
    ended(sessionID, reason) {
      if (parents.has(sessionID)) return;
      return safely('session-end', sessionID, { reason });
    },
    prompt(sessionID, text, fields) {
      if (typeof text !== 'string' || text.trim() === '') return;
      return safely('user-prompt-submit', sessionID, { prompt: text, ...fields });
    },
    before(tool, sessionID, callID, args) {
      if (!FILE_TOOLS.includes(tool) && !SHELL_TOOLS.includes(tool)) return;
      pending.set(callID, args);
      return safely('pre-tool-use', sessionID, { tool, call_id: callID, args });
    },
    /** The guard's verdict on a call: the reason it must not run, or undefined. Never rejects. */
    async guard(tool, sessionID, callID, args) {
      try {
        if (typeof tool !== 'string' || READ_ONLY_TOOLS.includes(tool) || typeof sessionID !== 'string' || sessionID === '') return undefined;
        return await askGuard(directory, { ...base(sessionID), tool, call_id: callID, args });
      } catch {
        return undefined;
      }
    },
    after(tool, sessionID, callID, args, result, error) {
      if (!FILE_TOOLS.includes(tool) && !SHELL_TOOLS.includes(tool)) return;
      if (typeof callID !== 'string' || sentPosts.has(callID)) return;
      remember(sentPosts, callID);
      const input = args ?? pending.get(callID) ?? {};
      pending.delete(callID);
      if (error !== undefined) return safely('post-tool-use-failure', sessionID, { tool, call_id: callID, args: input, error: String(error) });
      return safely('post-tool-use', sessionID, { tool, call_id: callID, args: input, result });
    },
    usage(sessionID, messageID, model, provider, tokens, cost) {
      if (typeof messageID !== 'string' || sentUsage.has(messageID) || !tokens) return;
      remember(sentUsage, messageID);
      return safely('turn-usage', sessionID, { message_id: messageID, model, provider, tokens, cost });
    },
  };
}

/** OpenCode 1.x: the hooks object of @opencode-ai/plugin. */
async function server(input) {
  const trace = tracer('v1', input?.directory ?? input?.worktree ?? process.cwd());
  return {
    event: async ({ event }) => {
      try {
        const properties = event?.properties ?? {};
        switch (event?.type) {
          case 'session.created':
            return await trace.started(properties.info);
          case 'session.updated':
            trace.session(properties.info);
            return;
          case 'session.idle':
            return await trace.ended(properties.sessionID, 'idle');
          case 'session.deleted':
            return await trace.ended(properties.info?.id, 'deleted');
          case 'message.updated': {
            const info = properties.info;
            // The message is written as it streams; its tokens are final once it is completed.
            if (info?.role !== 'assistant' || !info.time?.completed) return;
            return await trace.usage(info.sessionID, info.id, info.modelID, info.providerID, info.tokens, info.cost);
          }
          case 'message.part.updated': {
            // Some builds never call tool.execute.after: a finished tool part stands in for it.
            const part = properties.part;
            if (part?.type !== 'tool') return;
            const state = part.state ?? {};
            if (state.status === 'completed') return await trace.after(part.tool, part.sessionID, part.callID, state.input, resultOf(part.tool, state.title, state.output, state.metadata));
            if (state.status === 'error') return await trace.after(part.tool, part.sessionID, part.callID, state.input, undefined, state.error ?? 'error');
            return;
          }
          default:
            return;
        }
      } catch {
        // never into OpenCode
      }
    },
    'chat.message': async (info, output) => {
      try {
        const parts = Array.isArray(output?.parts) ? output.parts : [];
        const text = parts
          .filter((part) => part?.type === 'text' && !part.synthetic && typeof part.text === 'string')
          .map((part) => part.text)
          .join('\n');
        const model = info?.model ?? output?.message?.model;
        await trace.prompt(info?.sessionID ?? output?.message?.sessionID, text, { message_id: info?.messageID ?? output?.message?.id, model: model?.modelID, provider: model?.providerID, agent: info?.agent ?? output?.message?.agent });
      } catch {
        // never into OpenCode
      }
    },
    'tool.execute.before': async (info, output) => {
      // The guard and capture's snapshot at once; a denied call is not run (the throw blocks it).
      const [denied] = await Promise.all([
        trace.guard(info?.tool, info?.sessionID, info?.callID, output?.args),
        Promise.resolve(trace.before(info?.tool, info?.sessionID, info?.callID, output?.args)).catch(() => {}),
      ]);
      if (denied !== undefined) throw new Error(denied);
    },
    'tool.execute.after': async (info, output) => {
      try {
        await trace.after(info?.tool, info?.sessionID, info?.callID, info?.args, resultOf(info?.tool, output?.title, output?.output, output?.metadata));
      } catch {
        // never into OpenCode
      }
    },
  };
}

/** OpenCode 2.x: registrations on the plugin context of @opencode/plugin. */
async function setup(ctx) {
  const trace = tracer('v2', ctx?.location?.directory ?? process.cwd());
  const version = ctx?.app?.version;
  const models = new Map();
  const registrations = [];
  const register = async (domain, name, callback) => {
    try {
      const registration = await ctx?.[domain]?.hook?.(name, (event) => {
        try {
          return callback(event)?.catch?.(() => {});
        } catch {
          return undefined;
        }
      });
      if (registration) registrations.push(registration);
    } catch {
      // an API this release does not have
    }
  };
  await register('session', 'prompt', (event) =>
    trace.prompt(event?.sessionID, event?.prompt?.text, { message_id: event?.messageID }),
  );
  // Not through `register`: the guard's rejection is how a denied call is blocked, so it is not swallowed.
  try {
    const registration = await ctx?.tool?.hook?.('execute.before', async (event) => {
      const [denied] = await Promise.all([
        trace.guard(event?.tool, event?.sessionID, event?.id, event?.input),
        Promise.resolve(trace.before(event?.tool, event?.sessionID, event?.id, event?.input)).catch(() => {}),
      ]);
      if (denied !== undefined) throw new Error(denied);
    });
    if (registration) registrations.push(registration);
  } catch {
    // an API this release does not have
  }
  await register('tool', 'execute.after', (event) =>
    event?.status === 'error'
      ? trace.after(event?.tool, event?.sessionID, event?.id, event?.input, undefined, event?.error?.message ?? event?.error ?? 'error')
      : trace.after(event?.tool, event?.sessionID, event?.id, event?.input, resultOf(event?.tool, event?.result?.title, event?.result?.output, event?.result?.metadata)),
  );
  const controller = new AbortController();
  void (async () => {
    try {
      const events = ctx?.event?.subscribe?.({ signal: controller.signal });
      if (!events) return;
      for await (const event of events) {
        try {
          const data = event?.data ?? event?.properties ?? {};
          const info = data.info ?? data.session ?? (typeof data.id === 'string' ? data : undefined);
          switch (event?.type) {
            case 'session.created':
              void trace.started(info ?? { id: data.sessionID, parentID: data.parentID }, version);
              break;
            case 'session.updated':
              trace.session(info);
              break;
            case 'session.idle':
            case 'session.execution.succeeded':
            case 'session.execution.failed':
            case 'session.execution.interrupted':
              void trace.ended(data.sessionID, 'idle');
              break;
            case 'session.deleted':
              void trace.ended(data.sessionID ?? info?.id, 'deleted');
              break;
            case 'session.step.started':
              if (models.size >= MAX_REMEMBERED) models.clear();
              models.set(data.assistantMessageID, data.model);
              break;
            case 'session.step.ended': {
              const model = models.get(data.assistantMessageID);
              models.delete(data.assistantMessageID);
              void trace.usage(data.sessionID, data.assistantMessageID, model?.id ?? model?.modelID, model?.providerID, data.tokens, data.cost);
              break;
            }
            default:
              break;
          }
        } catch {
          // one bad event must not end the subscription
        }
      }
    } catch {
      // the stream ended
    }
  })();
  return async () => {
    controller.abort();
    for (const registration of registrations) await registration?.dispose?.().catch?.(() => {});
  };
}

export default { id: 'chainloop-trace', server, setup };
