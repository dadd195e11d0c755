// Optional extra places to upload a signed bundle, besides the git notes: a directory, an HTTP endpoint.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TraceError, errorMessage } from '../errors.js';

export interface DirectoryUpload {
  /** The first attested commit's sha; it starts the file name. */
  name: string;
  /** The Sigstore bundle as JSON text, written byte for byte. */
  bundle: string;
}

/** `<name>-<first 16 hex of the bundle's sha256>.sigstore.json` */
export function bundleFileName(name: string, bundle: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new TraceError('BAD_ARGUMENT', `"${name}" cannot name an attestation file: use letters, digits, ".", "_" and "-" only`);
  }
  const digest = createHash('sha256').update(bundle, 'utf8').digest('hex');
  return `${name}-${digest.slice(0, 16)}.sigstore.json`;
}

/** Write the bundle into `dir` (created if needed) atomically: readers see all of it or nothing. */
export async function uploadToDirectory(dir: string, upload: DirectoryUpload): Promise<{ path: string }> {
  const path = join(dir, bundleFileName(upload.name, upload.bundle));
  const temporary = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temporary, upload.bundle, { flag: 'wx', mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new TraceError('UPLOAD_FAILED', `could not write the attestation to ${dir}: ${errorMessage(error)}`, {
      cause: error,
      hint: 'Check that the upload directory in .chainloop.yml (trace.upload) exists or can be created, and is writable.',
    });
  }
  return { path };
}

export interface HttpUploadOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  timeoutMs: number;
  /** Defaults to the global fetch; a test or a proxy-aware caller can pass its own. */
  fetch?: typeof fetch;
}

export interface HttpUploadResult {
  status: number;
  attempts: number;
}

/**
 * The token for an HTTP target from the environment variable the config names. `env` is passed
 * in so nothing deep in the code reads process.env.
 */
export function tokenFromEnv(env: Readonly<Record<string, string | undefined>>, variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const token = env[variable];
  if (token === undefined || token.trim() === '') {
    throw new TraceError('BAD_CONFIG', `the upload token variable ${variable} is not set`, {
      hint: `Export ${variable} with the token for the upload endpoint, or remove tokenEnv from the target in .chainloop.yml.`,
    });
  }
  return token.trim();
}

/** The URL without credentials or query, safe to show in messages and logs. */
function shown(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

type Attempt = { ok: true; status: number } | { ok: false; retry: boolean; error: TraceError };

/** POST the bundle JSON to `url`. Retries once on a 5xx answer or a network error. */
export async function uploadToHttp(url: string, bundleJson: string, options: HttpUploadOptions): Promise<HttpUploadResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    throw new TraceError('BAD_CONFIG', `"${url}" is not a valid upload URL`, { cause: error });
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw new TraceError('BAD_CONFIG', `upload URL ${shown(target)} must use https`);
  }
  // A bearer token in clear text is readable by anyone on the path.
  if (options.token !== undefined && target.protocol === 'http:' && !isLoopback(target)) {
    throw new TraceError('BAD_CONFIG', `refusing to send the upload token over plain http to ${shown(target)}`, {
      hint: 'Use an https:// URL for the upload target in .chainloop.yml.',
    });
  }
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;

  const attempt = async (): Promise<Attempt> => {
    let response: Response;
    try {
      response = await doFetch(target, {
        method: 'POST',
        headers,
        body: bundleJson,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : errorMessage(error);
      return { ok: false, retry: true, error: new TraceError('UPLOAD_FAILED', `upload to ${shown(target)} failed: ${reason}`, { cause: error }) };
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel();
      return { ok: true, status: response.status };
    }
    const body = await response.text().catch(() => '');
    const detail = excerpt(body);
    const message = `upload to ${shown(target)} failed: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${detail ? `: ${detail}` : ''}`;
    const hint =
      response.status === 401 || response.status === 403
        ? 'Check the upload token (the environment variable named by tokenEnv in .chainloop.yml).'
        : undefined;
    return { ok: false, retry: response.status >= 500, error: new TraceError('UPLOAD_FAILED', message, hint === undefined ? {} : { hint }) };
  };

  const first = await attempt();
  if (first.ok) return { status: first.status, attempts: 1 };
  if (!first.retry) throw first.error;
  await sleep(200);
  const second = await attempt();
  if (second.ok) return { status: second.status, attempts: 2 };
  throw second.error;
}
