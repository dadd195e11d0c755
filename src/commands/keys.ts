// `trace keys list | add | remove`: the public keys CI trusts, committed in `.chainloop/keys/`.
// CI reads them at the base of a range, so a key is trusted once a change adding it is merged:
// a teammate's first pull request adds their key, a maintainer merges that, the check is re-run.
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { commitId, gitRaw } from '../git.js';
import type { Outcome } from '../program.js';
import { KEY_FILE_NAME } from '../signing/key.js';
import { exportPublicKey, keysAt, keysInWorkTree, localKeyId, PUBLIC_KEYS_DIR, signingKeyDir } from '../signing/public-keys.js';
import { style } from '../terminal.js';
import { remoteDefault } from '../verify/remote.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface KeysListOptions {
  cwd: string;
  /** Default: the remote's default branch when there is one, else HEAD. */
  rev?: string;
  remote: string;
  env: Env;
}

export interface ListedKey {
  key_id: string;
  file: string;
  owner: string | null;
  /** The commit that added the file, as seen from the listed revision. */
  added_in: { commit: string; subject: string; date: string } | null;
  /** True for the local signing key of this machine. */
  local: boolean;
}

export interface KeysListResult {
  rev: string;
  commit: string;
  keys: ListedKey[];
  invalid: { file: string; reason: string }[];
  /** The local signing key, when this machine has one, and whether `rev` trusts it. */
  local_key: { key_id: string; trusted: boolean } | null;
}

function shellQuote(text: string): string {
  return /^[\w./@:=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

async function addedIn(cwd: string, rev: string, file: string): Promise<ListedKey['added_in']> {
  const out = (await gitRaw(['log', '-1', '--diff-filter=A', '--format=%H%x00%cI%x00%s', rev, '--', file], { cwd, okCodes: [128] })).stdout.toString('utf8').trim();
  const [commit, date, subject] = out.split('\0');
  return commit && date !== undefined ? { commit, subject: subject ?? '', date } : null;
}

export async function keysList(options: KeysListOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const upstream = options.rev === undefined ? await remoteDefault(repo.root, options.remote) : null;
  const rev = options.rev ?? (upstream ? upstream.replace(/^refs\/remotes\//, '') : 'HEAD');
  const commit = await commitId(repo.root, upstream ?? rev);
  if (!commit) throw new TraceError('BAD_ARGUMENT', `${rev} is not a commit here`, { hint: 'give --rev a branch, tag or commit, e.g. --rev origin/main' });
  const local = localKeyId(signingKeyDir(loadConfig(repo.root), options.env));
  const found = await keysAt(repo.root, commit);
  const keys: ListedKey[] = [];
  for (const key of found.keys) keys.push({ key_id: key.keyId, file: key.file, owner: key.owner, added_in: await addedIn(repo.root, commit, key.file), local: key.keyId === local });
  const result: KeysListResult = { rev, commit, keys, invalid: found.invalid, local_key: local ? { key_id: local, trusted: keys.some((k) => k.local) } : null };

  const s = style(process.stdout, options.env);
  const lines = [s.bold(`Keys trusted at ${rev} (${commit.slice(0, 10)}): ${keys.length}`)];
  const rows = keys.map((k) => [k.key_id.slice(0, 16), k.owner ?? 'owner unknown', k.added_in ? `added in ${k.added_in.commit.slice(0, 10)} ${k.added_in.date.slice(0, 10)} ${k.added_in.subject}` : '', k.local ? 'your signing key' : '']);
  const widths = [16, Math.max(0, ...rows.map((r) => r[1]!.length)), Math.max(0, ...rows.map((r) => r[2]!.length))];
  for (const row of rows) lines.push(`  ${[row[0]!, row[1]!.padEnd(widths[1]!), row[2]!.padEnd(widths[2]!), row[3] ? s.ok(row[3]) : ''].join('  ').trimEnd()}`);
  for (const bad of found.invalid) lines.push(s.warning(`  ! ${bad.file} is ignored: ${bad.reason}`));
  if (keys.length === 0) lines.push(s.dim(`  none: CI trusts no key at ${rev}; add yours with \`trace keys add\` and have it merged`));
  if (local && !result.local_key?.trusted) {
    lines.push('', s.warning(`Your signing key ${local.slice(0, 16)} is not trusted at ${rev}: what you push fails verification until it is.`), `  Run \`trace keys add\` (it writes ${PUBLIC_KEYS_DIR}/${local.slice(0, 16)}.pem and says what to commit), then have a maintainer merge that change.`);
  }
  return { json: result, text: lines.join('\n') };
}

export interface KeysAddOptions {
  cwd: string;
  /** Retire the local signing key and make a new one (the old private key is kept beside it, renamed). */
  rotate?: boolean;
  env: Env;
}

export interface KeysAddResult {
  key_id: string;
  file: string;
  owner: string | null;
  created: boolean;
  /** True when the file is committed (tracked by git with this content). */
  committed: boolean;
  /** With --rotate: the key that was retired and where its private half now is. */
  retired?: { key_id: string; private_key: string; file: string | null };
  /** The commands that make CI trust the key. */
  commands: string[];
}

export async function keysAdd(options: KeysAddOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const config = loadConfig(repo.root);
  const dir = signingKeyDir(config, options.env);
  let retired: KeysAddResult['retired'];
  const old = options.rotate ? localKeyId(dir) : null;
  // A key that is gone cannot be retired: a new one is made (its public key file stays, so what it signed still verifies).
  if (options.rotate && !old && existsSync(join(dir, KEY_FILE_NAME))) {
    throw new TraceError('BAD_ARGUMENT', `the local signing key ${join(dir, KEY_FILE_NAME)} is unreadable, so it cannot be rotated`, { hint: 'move it away, then run `trace keys add --rotate` again' });
  }
  if (old) {
    const privateKey = join(dir, `${KEY_FILE_NAME}.retired-${old.slice(0, 16)}`);
    renameSync(join(dir, KEY_FILE_NAME), privateKey);
    const oldFile = keysInWorkTree(repo.root).keys.find((k) => k.keyId === old)?.file ?? null;
    if (oldFile) unlinkSync(join(repo.root, oldFile));
    retired = { key_id: old, private_key: privateKey, file: oldFile };
  }
  const exported = await exportPublicKey(repo.root, config, undefined, { force: true });
  if (!exported) throw new TraceError('SIGNING_FAILED', 'no signing key could be exported');
  const tracked = await gitRaw(['diff', '--quiet', 'HEAD', '--', exported.file], { cwd: repo.root, okCodes: [1, 128] });
  const inIndex = (await gitRaw(['ls-files', '--error-unmatch', '--', exported.file], { cwd: repo.root, okCodes: [1] })).code === 0;
  const committed = inIndex && tracked.code === 0;
  const paths = [exported.file, ...(retired?.file ? [retired.file] : [])];
  const message = retired ? `Rotate the trace signing key${exported.owner ? ` of ${exported.owner}` : ''}: ${retired.key_id.slice(0, 16)} to ${exported.keyId.slice(0, 16)}` : `Trust the trace signing key ${exported.keyId.slice(0, 16)}${exported.owner ? ` of ${exported.owner}` : ''}`;
  const commands = committed ? [] : [`git add ${paths.map(shellQuote).join(' ')}`, `git commit -m ${shellQuote(message)} -- ${paths.map(shellQuote).join(' ')}`];
  const result: KeysAddResult = { key_id: exported.keyId, file: exported.file, owner: exported.owner, created: exported.created, committed, ...(retired ? { retired } : {}), commands };

  const s = style(process.stdout, options.env);
  const lines = [
    ...(retired ? [`Retired the signing key ${retired.key_id.slice(0, 16)} (its private half is kept as ${retired.private_key})${retired.file ? ` and removed ${retired.file}` : ''}.`] : []),
    exported.created
      ? `Wrote ${exported.file}: the public half of your signing key ${exported.keyId.slice(0, 16)}${exported.owner ? `, owner ${exported.owner}` : ''}.`
      : `${exported.file} already holds your signing key ${exported.keyId.slice(0, 16)}${exported.owner ? ` (owner ${exported.owner})` : ''}.`,
    ...(exported.owner ? [] : [s.warning('It names no owner: set `git config user.name` and `user.email`, delete the file and run `trace keys add` again, so reviewers know whose key it is.')]),
    ...(config.trace.signing.mode === 'keyless' ? [s.dim('(signing.mode is keyless in .chainloop.yml: your pushes are signed keyless, and this key is used only if that changes.)')] : []),
  ];
  if (commands.length > 0) {
    lines.push('', 'CI trusts a key once it is on the default branch. Commit it:', ...commands.map((c) => `  ${s.bold(c)}`));
    lines.push('', 'then open a pull request (or add it to your first one). Its check fails with "not trusted at the base"', 'until a maintainer merges a change adding the key; after that merge, re-run the check.');
  } else lines.push('It is committed; CI trusts it on every branch whose base has this commit.');
  return { json: result, text: lines.join('\n') };
}

export interface KeysRemoveOptions {
  cwd: string;
  /** The start of a key id or of a key file's name. */
  prefix: string;
  env: Env;
}

export async function keysRemove(options: KeysRemoveOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const prefix = options.prefix.toLowerCase().replace(/\.pem$/, '');
  if (prefix.length < 4) throw new TraceError('BAD_ARGUMENT', `"${options.prefix}" is too short to name a key`, { hint: 'give at least 4 characters of the key id (`trace keys list` shows them)' });
  const { keys, invalid } = keysInWorkTree(repo.root);
  const base = (file: string) => file.slice(PUBLIC_KEYS_DIR.length + 1).toLowerCase();
  const matches = [
    ...keys.filter((k) => k.keyId.startsWith(prefix) || base(k.file).startsWith(prefix)).map((k) => ({ file: k.file, keyId: k.keyId, owner: k.owner })),
    ...invalid.filter((k) => base(k.file).startsWith(prefix)).map((k) => ({ file: k.file, keyId: null, owner: null })),
  ];
  if (matches.length === 0) {
    throw new TraceError('BAD_ARGUMENT', `no key in ${PUBLIC_KEYS_DIR}/ matches "${options.prefix}"`, { hint: 'run `trace keys list --rev HEAD` for the keys of this work tree' });
  }
  if (matches.length > 1) {
    throw new TraceError('BAD_ARGUMENT', `"${options.prefix}" matches ${matches.length} keys: ${matches.map((m) => m.file).join(', ')}`, { hint: 'give more characters of the key id' });
  }
  const [removed] = matches as [(typeof matches)[number]];
  unlinkSync(join(repo.root, removed.file));
  const local = localKeyId(signingKeyDir(loadConfig(repo.root), options.env));
  const tracked = (await gitRaw(['ls-files', '--error-unmatch', '--', removed.file], { cwd: repo.root, okCodes: [1] })).code === 0;
  const message = `Stop trusting the trace signing key ${removed.keyId?.slice(0, 16) ?? base(removed.file)}${removed.owner ? ` of ${removed.owner}` : ''}`;
  const commands = tracked ? [`git add ${shellQuote(removed.file)}`, `git commit -m ${shellQuote(message)} -- ${shellQuote(removed.file)}`] : [];
  const isLocal = removed.keyId !== null && removed.keyId === local;
  const s = style(process.stdout, options.env);
  const lines = [
    `Removed ${removed.file}${removed.keyId ? ` (key ${removed.keyId.slice(0, 16)}${removed.owner ? `, owner ${removed.owner}` : ''})` : ''}.`,
    ...(isLocal ? [s.warning('It is your own signing key: what you push fails verification until a new key is trusted (`trace keys add --rotate`).')] : []),
    ...(commands.length
      ? ['', 'CI stops trusting it for ranges whose base has this change; attestations it made stay verifiable from older bases. Commit it:', ...commands.map((c) => `  ${s.bold(c)}`)]
      : ['It was never committed, so there is nothing to commit.']),
  ];
  return { json: { file: removed.file, key_id: removed.keyId, owner: removed.owner, local: isLocal, commands }, text: lines.join('\n') };
}
