// `.chainloop.yml`: schema → readable problems → defaults. Chainloop's own keys are kept as they are;
// `trace:` holds this tool's settings and is strict so a typo is reported, not ignored.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_MAX_FILE_BYTES } from './capture/limits.js';
import { gitRaw } from './git.js';
import { policiesSchema } from './core/policy.js';
import { TraceError } from './errors.js';
import { guardSchema } from './guard/schema.js';

export const CONFIG_FILE = '.chainloop.yml';

const captureSchema = z
  .strictObject({
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_MAX_FILE_BYTES)
      .describe('Files larger than this many bytes are recorded as skipped instead of captured.'),
  })
  .prefault({});

const transcriptsSchema = z
  .strictObject({
    retention: z
      .enum(['none', 'prompts', 'full'])
      .default('prompts')
      .describe('What of the agent sessions goes into the attestation: none (no conversation), prompts (prompts and tool calls; file contents as sizes and blob ids; paths relative to the repository or ~), or full (the whole transcript). Secrets are redacted at every level.'),
  })
  .prefault({});

const signingSchema = z
  .strictObject({
    mode: z
      .enum(['auto', 'key', 'keyless'])
      .default('auto')
      .describe('auto: keyless when an identity token can be had without a browser (SIGSTORE_ID_TOKEN, GitHub Actions), else the local key.'),
    keyDir: z.string().min(1).optional().describe('Directory of the local signing key (default $XDG_CONFIG_HOME/chainloop-trace or ~/.config/chainloop-trace).'),
    fulcioURL: z.url().default('https://fulcio.sigstore.dev').describe('Fulcio certificate authority (keyless).'),
    rekorURL: z.url().default('https://rekor.sigstore.dev').describe('Rekor transparency log (keyless).'),
    tsaURL: z.url().optional().describe('RFC 3161 timestamp authority (keyless, optional).'),
    oidcIssuer: z.url().default('https://oauth2.sigstore.dev/auth').describe('OIDC issuer for the interactive browser login.'),
    oidcClientId: z.string().min(1).default('sigstore').describe('OIDC client id for the interactive browser login.'),
  })
  .prefault({});

const uploadSchema = z
  .strictObject({
    notes: z.boolean().default(true).describe('Push the attestations to the remote as refs/notes/chainloop-trace.'),
    directory: z.string().min(1).optional().describe('Also write each bundle into this directory.'),
    http: z
      .strictObject({
        url: z.url().describe('POST each bundle (application/json) to this URL.'),
        tokenEnv: z.string().min(1).optional().describe('Environment variable holding a bearer token for it.'),
      })
      .optional(),
  })
  .prefault({});

const redactionSchema = z
  .strictObject({
    patterns: z
      .array(z.strictObject({ id: z.string().min(1), pattern: z.string().min(1) }))
      .default([])
      .describe('Extra secret patterns (JavaScript regular expressions; a named group "secret" limits what is replaced).'),
    entropy: z.boolean().default(true).describe('Also redact high-entropy tokens.'),
  })
  .prefault({});

const verifySchema = z
  .strictObject({
    certificateIdentity: z.string().min(1).optional().describe('Keyless signer identity (certificate SAN) that trace verify trusts, exactly.'),
    certificateIdentityRegexp: z.string().min(1).optional().describe('Keyless signer identity as a regular expression.'),
    certificateOidcIssuer: z.string().min(1).optional().describe('OIDC issuer of trusted keyless signers, exactly.'),
    trustedRoot: z.string().min(1).optional().describe('Sigstore trusted_root.json for keyless bundles (a private Sigstore), relative to the repository.'),
  })
  .prefault({});

const retentionSchema = z
  .strictObject({
    days: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Local captured data (prompts, tool inputs, file contents) of sessions inactive this many days is deleted by `trace sessions prune`; 0 (the default) keeps everything forever. Session figures and commits stay.'),
  })
  .prefault({});

export const configSchema = z.looseObject({
  projectName: z.string().min(1).optional().describe('Project name (Chainloop-compatible).'),
  organization: z.string().min(1).optional().describe('Organization (Chainloop-compatible).'),
  requireTrace: z.boolean().default(false).describe('Refuse a push whose attestation cannot be made.'),
  trace: z
    .strictObject({
      capture: captureSchema,
      transcripts: transcriptsSchema,
      signing: signingSchema,
      upload: uploadSchema,
      redaction: redactionSchema,
      verify: verifySchema,
      policies: policiesSchema.describe('Policies trace verify enforces, read at the base of the verified range.'),
      guard: guardSchema.describe('The guard: the same rules checked before an agent\'s tool runs (trace guard check prints them).'),
      retention: retentionSchema,
    })
    .prefault({})
    .describe("Settings of the trace tool itself."),
});

export type TraceConfig = z.output<typeof configSchema>;

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/** Parses the text of `.chainloop.yml`; every problem is reported at once as `path: message`. */
export function parseConfig(text: string, file = CONFIG_FILE): TraceConfig {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid YAML:\n${document.errors.map((error) => `  ${error.message}`).join('\n')}`);
  }
  const result = configSchema.safeParse(document.toJS() ?? {});
  if (!result.success) {
    throw new TraceError('BAD_CONFIG', `${file} has problems:\n${formatIssues(result.error.issues).map((line) => `  ${line}`).join('\n')}`, {
      hint: 'fix the keys named above; `trace schema config` prints every key',
    });
  }
  return result.data;
}

export function loadConfig(root: string): TraceConfig {
  const file = join(root, CONFIG_FILE);
  return parseConfig(existsSync(file) ? readFileSync(file, 'utf8') : '', file);
}

/**
 * Whether the file really says `requireTrace: true`, read from the raw YAML: when the whole config
 * does not parse, this one key still decides whether a push may be refused.
 */
export function saysRequireTrace(root: string): boolean {
  const file = join(root, CONFIG_FILE);
  if (!existsSync(file)) return false;
  try {
    const document = parseDocument(readFileSync(file, 'utf8'));
    if (document.errors.length > 0) return false;
    const value: unknown = document.toJS();
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>).requireTrace === true;
  } catch {
    return false;
  }
}

export function configJsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7' });
}

/** `.chainloop.yml` as committed at `rev` (defaults when it is not there), and whether it is there. */
export async function configAtRevision(cwd: string, rev: string, label: string): Promise<{ config: TraceConfig; exists: boolean }> {
  const shown = await gitRaw(['show', `${rev}:${CONFIG_FILE}`], { cwd, okCodes: [128] });
  const exists = shown.code === 0;
  return { config: parseConfig(exists ? shown.stdout.toString('utf8') : '', label), exists };
}
