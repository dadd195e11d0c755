// The guard's lane: a POSIX shell file that the pre-tool command trace installs for an agent's file
// and shell tools (Claude Code's Write, Edit and Bash) sources before it starts Node. Written from the
// guard's settings, it answers allow itself when it is sure the guard would, in a session the guard
// has seen: a path inside the repository that no protected path or rule can match, or a command of
// plain words that no built-in rule, secret check or shell write can be about. Every other call goes,
// whole, to `trace hook <agent> guard`. A Node start is most of what a guarded call costs, and most
// calls are plain allows.
//
// It trusts itself only while .chainloop.yml is the file it was written from: the same inode (a hard
// link kept beside it: an editor's save-by-rename or a checkout makes a new one) with the same mtime,
// and older than the lane file, whose mtime is set one second after the config's (an edit in place
// changes the mtime; a lane is written only for a config at least two seconds old, so even a shell
// comparing whole seconds sees the edit). Otherwise, or for any payload it cannot read for certain,
// Node decides.
import { linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuardLaneFormat } from '../agents/types.js';
import type { Repo } from '../repo.js';
import { type GuardSettings, wildcard } from './engine.js';
import { LANES_DIR } from '../capture/spool-dir.js';
import { DECISIONS_DIR, SESSIONS_DIR } from './files.js';
import type { LoadedGuard } from './settings.js';

const VERSION = 1;
/** The longest payload head the lane reads: Claude Code puts the tool's path before its content. */
const HEAD_BYTES = 16384;
/** How old .chainloop.yml must be for a lane: see the top of this file. */
const SETTLED_MS = 2000;

/** The file tools the lane may allow, the shell patterns of the paths it leaves to Node, and whether it may allow shell calls. */
export interface LaneRules {
  tools: string[];
  /** `case` patterns; a path matching one goes to Node. A superset of what the guard's globs match. */
  held: string[];
  shell: boolean;
}

/** The file tools' names a rule's `tools` is matched against (engine.ts toolNames). */
const FILE_TOOL_NAMES = ['Write', 'Edit', 'MultiEdit'];
/** Path characters the lane reads; any other (JSON escapes, spaces, non-ASCII) goes to Node. */
const PATH_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/+@=,~-';

/**
 * A `case` pattern matching every path the glob matches (engine.ts matches globs case-insensitively
 * against each leading part of the path): its literal runs, in order, anywhere. Undefined when the
 * glob has characters the lane does not reason about.
 */
export function heldPattern(glob: string): string | undefined {
  const lower = glob.toLowerCase();
  if ([...lower].some((c) => !PATH_CHARS.includes(c) && c !== '*' && c !== '?')) return undefined;
  const runs = lower.split(/[*?/]+/).filter((run) => run !== '');
  if (runs.length === 0) return undefined;
  const literal = (run: string) => [...run].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : `'${c}'`)).join('');
  return `*${runs.map(literal).join('*')}*`;
}

/**
 * What the lane may decide for these settings; undefined when it can allow nothing. `redactionPatterns`:
 * how many `trace.redaction.patterns` the secret check adds (the lane cannot run them).
 */
export function laneRules(settings: GuardSettings, format: GuardLaneFormat, redactionPatterns = 0): LaneRules | undefined {
  const { guard } = settings;
  const live = guard.rules.filter((rule) => rule.decision !== 'allow' && rule.mcpServersNotIn === undefined);
  const applies = (names: readonly string[]) => live.filter((rule) => rule.tools === undefined || rule.tools.some((pattern) => names.some((name) => wildcard(pattern, name, 'i'))));
  // A rule naming one file tool names them all (engine.ts toolNames): the tools stand or fall together.
  // A rule with a command never matches a file call; one without paths matches every file call.
  const fileRules = applies([...format.tools, ...FILE_TOOL_NAMES]).filter((rule) => rule.command === undefined);
  const held = [...new Set([...guard.builtin.protectedPaths, ...fileRules.flatMap((rule) => rule.paths ?? [])])].map(heldPattern);
  const files = !fileRules.some((rule) => rule.paths === undefined) && !held.includes(undefined);
  // A shell call the lane allows writes no file the reader can see (no redirection, tee, cp, mv…), so
  // a rule's paths cannot match it; a command regex or a rule of tools alone could.
  const shellRules = format.shell === undefined ? [] : applies([format.shell.tool, 'Bash']);
  const shell = format.shell !== undefined && settings.forbiddenCommands.patterns.length === 0 && redactionPatterns === 0 && !shellRules.some((rule) => rule.paths === undefined || rule.command !== undefined);
  if (!files && !shell) return undefined;
  return { tools: files ? [...format.tools] : [], held: files ? (held as string[]) : [], shell };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Characters of a command the lane reads (and space); any other (quotes, `|`, `;`, `>`, `$`, `@`, `~`, JSON escapes…) goes to Node. */
const COMMAND_CHARS = `${ALNUM}._/+=,:-`;
const insensitive = (text: string) => [...text].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : `'${c}'`)).join('');
/** Command names the built-in rules and the shell-write reader look for (a word, or a path's last part; `mkfs.ext4` too). */
const HELD_NAMES = ['rm', 'dd', 'mkfs', 'mke2fs', 'chmod', 'chown', 'chgrp', 'tee', 'cp', 'mv', 'install', 'ln', 'rsync', 'push', 'drop', 'truncate'];
/** Texts anywhere in a command: what `mayHoldSecret` (may-hold-secret.ts) looks for, dd's `of=`, `--no-preserve-root`. */
const HELD_TEXTS = ['pass', 'pwd', 'secret', 'token', 'key', 'auth', 'bearer', 'cred', 'login', 'of=', 'preserve'];
/** The `case` patterns, over ` <command> `, of a command the lane leaves to Node. */
export function heldCommandPatterns(): string[] {
  const tokenChar = `[${ALNUM}._/+=-]`;
  return [
    ...HELD_NAMES.map((name) => `*[/' ']${insensitive(name)}[.' ']*`),
    ...HELD_TEXTS.map((text) => `*${insensitive(text)}*`),
    // A password flag (`-pSECRET`), and a 16-character run that could be a key or token (mayHoldSecret).
    `*' -'[pP][!' ']*`,
    `*${tokenChar.repeat(16)}*`,
  ];
}

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

export interface LaneSpec {
  hookName: string;
  format: GuardLaneFormat;
  root: string;
  stateDir: string;
  mode: 'off' | 'warn' | 'enforce';
  /** Whether .chainloop.yml exists (the lane was written from it, linked as `config.link`). */
  config: boolean;
  /** The settings' cache key, so Node knows the lane is this config's. */
  key: string;
  rules: LaneRules;
}

export function guardLaneFile(stateDir: string, hookName: string): string {
  return join(stateDir, LANES_DIR, `${hookName}-guard.sh`);
}

function configLink(stateDir: string): string {
  return join(stateDir, LANES_DIR, 'chainloop.yml.link');
}

/** The lane's text. */
export function guardLaneScript(spec: LaneSpec): string {
  const file = guardLaneFile(spec.stateDir, spec.hookName);
  const { format } = spec;
  const fresh = spec.config
    ? `[ -f "$tl_config" ] && ! [ "$tl_config" -nt ${quote(file)} ] && ! [ "$tl_config" -nt ${quote(configLink(spec.stateDir))} ] && ! [ "$tl_config" -ot ${quote(configLink(spec.stateDir))} ]`
    : `! [ -e "$tl_config" ] && ! [ -L "$tl_config" ]`;
  const body =
    spec.mode === 'off'
      ? ['  exec cat >/dev/null']
      : [
          '  tl_allow() {',
          // Set here, whatever the environment holds.
          '    tl_shell=no',
          `    case $tl_head in ${quote(format.sessionLead)}*) ;; *) return 1;; esac`,
          `    tl_rest=\${tl_head#${quote(format.sessionLead)}}; tl_session=\${tl_rest%%'"'*}`,
          `    case $tl_session in ''|*[!A-Za-z0-9._:-]*) return 1;; esac`,
          `    [ -e "$tl_sessions/$tl_session.${spec.mode}" ] || return 1`,
          `    case $tl_head in *${quote(format.cwdLead)}*) ;; *) return 1;; esac`,
          `    tl_rest=\${tl_head#*${quote(format.cwdLead)}}; [ "\${tl_rest%%'"'*}" = "$tl_root" ] || return 1`,
          '    case $tl_head in',
          ...spec.rules.tools.map((tool) => `      *${quote(format.pathLead(tool))}*) tl_rest=\${tl_head#*${quote(format.pathLead(tool))}} ;;`),
          ...(spec.rules.shell && format.shell ? [`      *${quote(format.shell.commandLead)}*) tl_rest=\${tl_head#*${quote(format.shell.commandLead)}}; tl_shell=yes ;;`] : []),
          '      *) return 1;;',
          '    esac',
          `    tl_path=\${tl_rest%%'"'*}`,
          `    [ "$tl_path" != "$tl_rest" ] || return 1`,
          ...(spec.rules.shell
            ? [
                '    if [ "$tl_shell" = yes ]; then',
                `      case " $tl_path " in *[!' '${COMMAND_CHARS}]*) return 1;; esac`,
                `      case " $tl_path " in ${heldCommandPatterns().join('|')}) return 1;; esac`,
                '      return 0',
                '    fi',
              ]
            : []),
          `    case $tl_path in "$tl_root"/*) ;; *) return 1;; esac`,
          `    tl_path=\${tl_path#"$tl_root"/}`,
          `    case /$tl_path/ in *[!${PATH_CHARS}]*|*//*|*/./*|*/../*) return 1;; esac`,
          ...(spec.rules.held.length > 0 ? [`    case $tl_path in ${spec.rules.held.join('|')}) return 1;; esac`] : []),
          '  }',
          `  tl_head=$(head -c ${HEAD_BYTES})`,
          '  if tl_allow; then exec cat >/dev/null; fi',
          `  { printf '%s' "$tl_head"; exec cat; } | trace hook ${spec.hookName} guard`,
          '  exit',
        ];
  return [
    `# trace guard lane for ${[...spec.rules.tools, ...(spec.rules.shell && spec.format.shell ? [spec.format.shell.tool] : [])].join(', ')} (src/guard/lane.ts): written by trace from .chainloop.yml, do not edit.`,
    `# key: ${spec.key} v${VERSION}`,
    `tl_root=${quote(spec.root)}`,
    `tl_config="$tl_root/.chainloop.yml"`,
    `tl_sessions=${quote(join(spec.stateDir, DECISIONS_DIR, SESSIONS_DIR))}`,
    `if ${fresh}; then`,
    ...body,
    'fi',
    '',
  ].join('\n');
}

/** A path the lane can hold in a shell word and find in a payload as it is (no JSON escapes). */
const plainPath = (path: string): boolean => [...path].every((c) => c >= ' ' && c !== '"' && c !== '\\' && c !== '\u2028' && c !== '\u2029');

/**
 * Brings the lane in line with the settings the guard just loaded: written when missing or another
 * config's, removed when no lane can serve (an invalid config, rules every file call matches, a
 * linked worktree). `key`: the settings' cache key; never throws.
 */
export function refreshGuardLane(lane: { hookName: string; format: GuardLaneFormat }, repo: Repo, stateDir: string, loaded: LoadedGuard | undefined, key: string, now: number): void {
  const file = guardLaneFile(stateDir, lane.hookName);
  const settings = loaded?.settings;
  try {
    const rules = loaded === undefined ? undefined : laneRules(loaded.settings, lane.format, loaded.redaction.patterns.length);
    const usable = settings !== undefined && rules !== undefined && stateDir === join(repo.root, '.git', 'chainloop-trace') && plainPath(repo.root);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // none yet
    }
    if (!usable) {
      if (current !== undefined) rmSync(file, { force: true });
      return;
    }
    if (current?.includes(`\n# key: ${key} v${VERSION}\n`)) return;
    const config = join(repo.root, '.chainloop.yml');
    const stat = lstatSync(config, { throwIfNoEntry: false });
    if (current !== undefined) rmSync(file, { force: true });
    // A symlink's target could change under the link; a config saved just now could change again within the second.
    if (stat !== undefined && (!stat.isFile() || now - stat.mtimeMs < SETTLED_MS || `${stat.size}:${stat.mtimeMs}:${stat.ino}` !== key)) return;
    mkdirSync(join(stateDir, LANES_DIR), { recursive: true });
    const link = configLink(stateDir);
    rmSync(link, { force: true });
    if (stat !== undefined) {
      linkSync(config, link);
      if (statSync(link).ino !== stat.ino) return;
    }
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, guardLaneScript({ ...lane, root: repo.root, stateDir, mode: settings.guard.mode, config: stat !== undefined, key, rules }));
    if (stat !== undefined) utimesSync(temporary, new Date(), new Date(stat.mtimeMs + 1000));
    renameSync(temporary, file);
  } catch {
    // Without a lane every call goes to Node: slower, never wrong.
    rmSync(file, { force: true });
  }
}
