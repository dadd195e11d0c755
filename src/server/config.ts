// trace-server.yml: where the server listens, where it stores, who may write and read what, whom it
// trusts to sign for which repositories, and how long it keeps things. Parsed with zod at the edge,
// every problem at once as `path: message`; TRACE_SERVER_LISTEN and TRACE_SERVER_DATABASE override.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../config.js';
import { TraceError } from '../errors.js';

export const SERVER_CONFIG_FILE = 'trace-server.yml';
export const DEFAULT_LISTEN = '127.0.0.1:8080';
/** The embedded store, beside the config file (or in the working directory without one). */
export const DEFAULT_SQLITE_FILE = 'trace-server.sqlite';

const glob = z.string().min(1).describe('A repository name as attestation subjects spell it (`<repo>@<sha>`); `*` matches any run of characters, `?` one');

const tokenSchema = z
  .strictObject({
    token: z.string().min(16, 'a token needs at least 16 characters').optional().describe('The token itself (prefer tokenEnv: a config file is easier to leak than an environment)'),
    tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional().describe('The environment variable that holds the token'),
    role: z.enum(['ingest', 'reader', 'admin']).describe('ingest: POST attestations for its repositories; reader: the read API and pages; admin: both, every repository'),
    repositories: z.array(glob).min(1).default(['*']).describe('The repositories this token may write (ingest) or read'),
    name: z.string().optional().describe('Shown in logs instead of the token'),
  })
  .refine((t) => (t.token === undefined) !== (t.tokenEnv === undefined), 'give exactly one of token and tokenEnv');

const identitySchema = z
  .strictObject({
    issuer: z.string().min(1).describe('The OIDC issuer, exactly, e.g. https://token.actions.githubusercontent.com'),
    subject: z.string().min(1).optional().describe('The certificate subject, exactly'),
    subjectRegexp: z.string().min(1).optional().describe('A regular expression the subject must match (unanchored, like cosign)'),
  })
  .refine((i) => (i.subject === undefined) !== (i.subjectRegexp === undefined), 'give exactly one of subject and subjectRegexp')
  .refine((i) => {
    if (i.subjectRegexp === undefined) return true;
    try {
      new RegExp(i.subjectRegexp);
      return true;
    } catch {
      return false;
    }
  }, 'subjectRegexp is not a valid regular expression');

const trustSchema = z.strictObject({
  repositories: z.array(glob).min(1).describe('The repositories this entry vouches for'),
  keys: z.array(z.string().min(1)).default([]).describe('PEM public key files (as `trace keys add` exports them; relative to this file)'),
  identities: z.array(identitySchema).default([]).describe('Keyless signers: certificate identity and issuer, the rules of trace verify'),
  trustedRoot: z.string().min(1).optional().describe("A Sigstore trusted root JSON file for keyless bundles (relative to this file); default: Sigstore's public one, fetched once"),
});

const days = z.number().int().min(0).describe('Days to keep; 0 keeps forever');

export const serverConfigSchema = z.strictObject({
  listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:8080').default(DEFAULT_LISTEN).describe('host:port (TRACE_SERVER_LISTEN overrides)'),
  database: z.string().min(1).optional().describe('A postgres:// URL, or a SQLite file path (relative to this file); default trace-server.sqlite beside it (TRACE_SERVER_DATABASE overrides)'),
  publicUrl: z.url().optional().describe('The URL people reach the server at (links in pages and messages)'),
  tokens: z.array(tokenSchema).default([]),
  trust: z.array(trustSchema).default([]),
  retention: z
    .strictObject({
      contentDays: days.default(0).describe('Bundle bytes, prompts and tool inputs'),
      metadataDays: days.default(0).describe('Sessions, commits, threads and their numbers'),
      batch: z.number().int().min(1).max(100_000).default(5_000).describe('Sessions, commits or bundles deleted per transaction (a session takes its threads, models and commit links along)'),
      intervalMinutes: z.number().int().min(1).default(10),
    })
    .prefault({}),
  limits: z
    .strictObject({
      bundleBytes: z.number().int().min(1024).default(16 * 1024 * 1024).describe('Largest accepted bundle (413 above)'),
    })
    .prefault({}),
  sync: z
    .strictObject({
      remotes: z
        .array(z.strictObject({ url: z.string().min(1).describe('A git remote URL or path'), repository: z.string().min(1).optional().describe('The repository name its attestations must carry (default: whatever trust allows)') }))
        .default([]),
      intervalMinutes: z.number().int().min(0).default(0).describe('0: only `trace server sync` pulls'),
    })
    .prefault({}),
});

export type ServerConfig = z.output<typeof serverConfigSchema>;

export type Role = 'ingest' | 'reader' | 'admin';

export interface ResolvedToken {
  token: string;
  role: Role;
  repositories: string[];
  name: string;
}

/** The config with file paths made absolute, env overrides applied, token values read. */
export interface LoadedServerConfig extends Omit<ServerConfig, 'tokens' | 'database'> {
  database: string;
  tokens: ResolvedToken[];
  /** The directory relative paths are read from. */
  baseDir: string;
}

export function parseServerConfig(text: string, file: string): ServerConfig {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid YAML:\n${document.errors.map((error) => `  ${error.message}`).join('\n')}`);
  }
  const result = serverConfigSchema.safeParse(document.toJS() ?? {});
  if (!result.success) {
    throw new TraceError('BAD_CONFIG', `${file} has problems:\n${formatIssues(result.error.issues).map((line) => `  ${line}`).join('\n')}`, {
      hint: 'fix the keys named above; schemas/trace-server.schema.json lists every key',
    });
  }
  return result.data;
}

/** Reads `file` (absent and not asked for: defaults), then applies the environment. */
export function loadServerConfig(options: { file?: string | undefined; cwd: string; env: Readonly<Record<string, string | undefined>> }): LoadedServerConfig {
  const file = options.file === undefined ? resolve(options.cwd, SERVER_CONFIG_FILE) : resolve(options.cwd, options.file);
  let text = '';
  if (existsSync(file)) text = readFileSync(file, 'utf8');
  else if (options.file !== undefined) throw new TraceError('BAD_CONFIG', `${file} does not exist`, { hint: 'give the path of a trace-server.yml, or leave out --config for the defaults' });
  return resolveServerConfig(parseServerConfig(text, file), { baseDir: dirname(file), env: options.env });
}

export function resolveServerConfig(config: ServerConfig, options: { baseDir: string; env: Readonly<Record<string, string | undefined>> }): LoadedServerConfig {
  const problems: string[] = [];
  const tokens = config.tokens.map((entry, i): ResolvedToken => {
    const value = entry.token ?? options.env[entry.tokenEnv ?? '']?.trim() ?? '';
    if (entry.tokenEnv !== undefined && value === '') problems.push(`tokens.${i}.tokenEnv: the variable ${entry.tokenEnv} is not set`);
    else if (value.length < 16) problems.push(`tokens.${i}: the token needs at least 16 characters`);
    return { token: value, role: entry.role, repositories: entry.repositories, name: entry.name ?? `${entry.role} token ${i + 1}` };
  });
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    if (t.token !== '' && seen.has(t.token)) problems.push(`tokens.${i}: the same token is listed twice`);
    seen.add(t.token);
  });
  if (problems.length > 0) throw new TraceError('BAD_CONFIG', `the server config has problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const listen = options.env.TRACE_SERVER_LISTEN?.trim() || config.listen;
  const database = options.env.TRACE_SERVER_DATABASE?.trim() || config.database || DEFAULT_SQLITE_FILE;
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(options.baseDir, path));
  return {
    ...config,
    listen,
    database: isPostgresUrl(database) || database === ':memory:' ? database : absolute(database),
    tokens,
    trust: config.trust.map((t) => ({ ...t, keys: t.keys.map(absolute), ...(t.trustedRoot ? { trustedRoot: absolute(t.trustedRoot) } : {}) })),
    baseDir: options.baseDir,
  };
}

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//.test(database);
}

export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new TraceError('BAD_CONFIG', `listen: ${JSON.stringify(listen)} is not host:port`, { hint: 'e.g. listen: 127.0.0.1:8080 (or TRACE_SERVER_LISTEN=0.0.0.0:8080)' });
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** `*` any run of characters (slashes too), `?` one; the rest literal; whole name. */
export function repositoryMatches(glob: string, name: string): boolean {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`).test(name);
}

export function serverConfigJsonSchema(): object {
  return z.toJSONSchema(serverConfigSchema, { io: 'input', target: 'draft-7' });
}
