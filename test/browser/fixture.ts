// A repository with real sessions made through the installed Claude Code hooks, for the browser tests
// and the UI's development: transcripts written to match the hooks' calls (so threads carry model
// responses, tokens and cost), a real transcript from ../shared/fixtures, edits, a failing command,
// a commit pushed with a trusted key, and a handful of one-prompt sessions for paging and search.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeClaude } from '../support/claude.js';
import { makeRepo, tempDir, type TestRepo } from '../support/repo.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/claude/transcripts/', import.meta.url));
const REAL = 'entire-cli_5a-c45bc32212-0_cc2.1.7-2.1.12_opus-sonnet_invalid-line.jsonl';

export const WORKED = 'a11ce000-0000-4000-8000-00000000000a';
export const REAL_SESSION = 'b0b00000-0000-4000-8000-00000000000b';
export const QUICK = Array.from({ length: 6 }, (_, i) => `c0ffee0${i}-0000-4000-8000-00000000000${i}`);

export interface UiFixture {
  repo: TestRepo;
  /** The tool_use ids of the worked session's edits, in order. */
  edits: string[];
  commit: string;
}

type Line = Record<string, unknown>;

export function makeUiFixture(): UiFixture {
  const repo = makeRepo();
  repo.git(['config', 'user.email', 'ada@example.com']);
  repo.git(['config', 'user.name', 'Ada Lovelace']);
  // This machine's signing key, trusted from here on: the session's commit, once pushed, is verified.
  const key = repo.trace(['keys', 'add']);
  if (key.code !== 0) throw new Error(`trace keys add failed: ${key.stderr}`);
  repo.commit('trust the signing key', ['.chainloop/keys']);
  // Pushed first: a push's attestation is verified against what its commits' base trusts.
  repo.git(['push', '-q', 'origin', 'main']);
  const dir = tempDir('trace-ui-transcripts-');

  // The worked session: three prompts, edits to two files, a failing test run; its transcript matches the hooks' calls.
  const path = join(dir, `${WORKED}.jsonl`);
  const a = new FakeClaude(repo, { sessionId: WORKED, transcriptPath: path });
  a.start('claude-sonnet-4-5');
  const lines: Line[] = [];
  // Timestamps as the agent writes them: a response just before the call it asks for, a result after it.
  let last = Date.now();
  const at = (ms?: number) => new Date(Math.max(ms ?? Date.now(), last + 1)).toISOString();
  const stamp = (ms?: number) => {
    const text = at(ms);
    last = Date.parse(text);
    return text;
  };
  let msg = 0;
  let asked = Date.now();
  const user = (content: unknown) => lines.push({ type: 'user', uuid: `u${lines.length}`, timestamp: stamp(), message: { role: 'user', content } });
  const assistant = (content: unknown[], usage: [number, number, number, number], model = 'claude-sonnet-4-5') =>
    lines.push({ type: 'assistant', timestamp: stamp(asked), message: { id: `msg_${++msg}`, model, content, usage: { input_tokens: usage[0], cache_read_input_tokens: usage[1], cache_creation_input_tokens: usage[2], output_tokens: usage[3] } } });
  const toolResult = (id: string, content: string, isError = false) => {
    user([{ type: 'tool_result', tool_use_id: id, content, is_error: isError }]);
    asked = Date.now();
  };

  const edits: string[] = [];
  a.prompt('add a parser for the config file');
  user('add a parser for the config file');
  asked = Date.now();
  const w1 = a.write('src/config.ts', 'export interface Config {\n  name: string;\n}\n\nexport function parse(text: string): Config {\n  return JSON.parse(text) as Config;\n}\n');
  edits.push(w1);
  assistant([{ type: 'text', text: 'I will write the parser.' }, { type: 'tool_use', id: w1, name: 'Write', input: { file_path: 'src/config.ts' } }], [120, 4_000, 900, 310]);
  toolResult(w1, 'File created');
  asked = Date.now();
  const b1 = a.bash('echo "1 test failed: parse rejects empty input" >&2; exit 1');
  assistant([{ type: 'tool_use', id: b1, name: 'Bash', input: { command: 'npm test' } }], [40, 5_200, 0, 60]);
  toolResult(b1, 'Exit code 1\n1 test failed: parse rejects empty input', true);
  asked = Date.now();
  const e1 = a.edit('src/config.ts', '  return JSON.parse(text) as Config;\n', "  if (text.trim() === '') throw new Error('empty config');\n  return JSON.parse(text) as Config;\n");
  edits.push(e1);
  assistant([{ type: 'text', text: 'Empty input must be rejected.' }, { type: 'tool_use', id: e1, name: 'Edit', input: { file_path: 'src/config.ts' } }], [30, 5_400, 200, 180]);
  toolResult(e1, 'ok');
  asked = Date.now();
  assistant([{ type: 'text', text: 'The parser is in src/config.ts.' }], [10, 5_600, 0, 45]);

  a.prompt('now use it in the cli');
  user('now use it in the cli');
  asked = Date.now();
  const w2 = a.write('src/cli.ts', "import { parse } from './config.js';\n\nconsole.log(parse(process.argv[2] ?? '{}').name);\n");
  edits.push(w2);
  assistant([{ type: 'tool_use', id: w2, name: 'Write', input: { file_path: 'src/cli.ts' } }], [200, 6_000, 1_200, 240], 'claude-opus-4-5');
  toolResult(w2, 'File created');
  asked = Date.now();
  assistant([{ type: 'text', text: 'Done.' }], [15, 7_000, 0, 20], 'claude-opus-4-5');

  a.prompt('rename name to title');
  user('rename name to title');
  asked = Date.now();
  const e2 = a.edit('src/config.ts', '  name: string;\n', '  title: string;\n');
  edits.push(e2);
  assistant([{ type: 'tool_use', id: e2, name: 'Edit', input: { file_path: 'src/config.ts' } }], [25, 7_500, 300, 90]);
  toolResult(e2, 'ok');
  asked = Date.now();
  const e3 = a.edit('src/cli.ts', '.name);', '.title);');
  edits.push(e3);
  assistant([{ type: 'tool_use', id: e3, name: 'Edit', input: { file_path: 'src/cli.ts' } }], [20, 7_900, 100, 70]);
  toolResult(e3, 'ok');
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const commit = repo.commit('config parser and cli');
  repo.git(['push', '-q', 'origin', 'main']);

  // A real transcript (4 prompts, two models) behind one hook prompt and a write.
  const realPath = join(dir, `${REAL_SESSION}.jsonl`);
  copyFileSync(join(FIXTURES, REAL), realPath);
  const b = new FakeClaude(repo, { sessionId: REAL_SESSION, transcriptPath: realPath });
  b.start('claude-opus-4-5');
  b.prompt('pull entire/sessions automatically on resume');
  b.write('notes/resume.md', '# resume\n\npull on resume\n');

  // One-prompt sessions, for paging and search.
  for (const [i, id] of QUICK.entries()) new FakeClaude(repo, { sessionId: id, transcriptPath: join(dir, `${id}.jsonl`) }).prompt(i % 2 === 0 ? `quick fix number ${i}` : `tidy the readme ${i}`);
  return { repo, edits, commit };
}
