/**
 * Secret redaction for every free-text field before anything is signed or written.
 *
 * Detectors, by tie-break priority (the earliest-starting, longest finding wins; on an exact tie
 * the higher-priority detector names the placeholder):
 *   0. extra patterns from config (`id`, `pattern`; a named group `secret` limits what is replaced);
 *   1. secretlint's recommended preset (through `src/redaction/secretlint.ts`);
 *   2. specific patterns: private-key blocks, JWTs, URL credentials, vendor tokens, and context:
 *      command-line password flags (`mysql -pX`, `curl -u user:X`, `docker login -p X`,
 *      `-passout pass:X`), `.netrc` passwords, Kubernetes Secret `data:` values, an AWS secret
 *      access key after its name;
 *   3. generic patterns: `Bearer ...`, `Authorization: ...`, `password=...` / `token: ...`, and a
 *      secret-like name in prose ("the password is X", "API key: X");
 *   4. high entropy (see `isHighEntropySecret`), run only on text no other detector redacted, and
 *      never on structural ids (`toolu_…`), known hash formats (`sha512-…`, `h1:…`), image data
 *      or paths.
 *
 * A secret becomes `[REDACTED:<rule-id>]`. For `scheme://user:password@host` only `user:password`
 * is replaced, so the host and path stay readable. Text already holding placeholders is scanned
 * between them, and the output is rescanned until clean, which makes redaction idempotent.
 *
 * Pure: no fs, env or clock. The secretlint adapter is imported lazily by `createRedactor`.
 */
import { TraceError, errorMessage } from '../errors.js';

export interface Redaction {
  ruleId: string;
  count: number;
}

/** Rule ids sorted, counts summed. */
export interface RedactionReport {
  total: number;
  rules: Redaction[];
}

export interface RedactionFinding {
  ruleId: string;
  /** Offsets into the text given to `redactText`, end exclusive. */
  start: number;
  end: number;
}

export interface Redactor {
  /** Throws TraceError only when a detector itself fails; the caller must then upload nothing. */
  redactText(text: string): { text: string; findings: RedactionFinding[] };
}

/** A synchronous secret scanner, normally secretlint's preset. */
export interface SecretScanner {
  /** Every rule id `scan` can return, so placeholders it produced are recognised later. */
  readonly ruleIds: readonly string[];
  scan(text: string): RedactionFinding[];
}

export interface ExtraPattern {
  id: string;
  pattern: string;
}

export interface RedactorOptions {
  extraPatterns?: ExtraPattern[];
  /** High-entropy token detection; default true. */
  entropy?: boolean;
  /** Replaces the secretlint scanner (tests, other engines). */
  scanner?: SecretScanner;
}

interface Detector {
  ruleId: string;
  regex: RegExp;
  /** Capture group to replace: a number, a group name, or 0 for the whole match. */
  group: number | string;
  priority: number;
  /** Rejects a match (by the replaced text and the whole match). */
  reject?: (secret: string, match: string) => boolean;
}

interface RankedFinding extends RedactionFinding {
  priority: number;
}

const PRIORITY_EXTRA = 0;
const PRIORITY_SCANNER = 1;
const PRIORITY_SPECIFIC = 2;
const PRIORITY_GENERIC = 3;
const PRIORITY_ENTROPY = 4;

export const HIGH_ENTROPY_RULE = 'high-entropy';
export const URL_CREDENTIALS_RULE = 'url-credentials';
export const KUBERNETES_SECRET_RULE = 'kubernetes-secret';
const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Values of `key=value` that are names, types or references rather than secrets. */
const NOT_A_SECRET_VALUE =
  /^(?:string|number|boolean|bool|str|int|integer|object|any|unknown|never|void|null|nil|none|undefined|true|false|required|optional|yes|no|on|off|redacted|changeme|example|placeholder|\*+|x+|\.\.\.|…)$/i;
const VARIABLE_REFERENCE =
  /^(?:\$\{?[A-Za-z_][\w.]*\}?|%[A-Za-z_]\w*%|\{\{.*\}\}|<[^<>]*>|\[REDACTED:[^\]]*\]|(?:process\.env|os\.environ|env)\b.*|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(.*)?|[A-Za-z_$][\w$]*\(.*)$/;

/** A URL's secret part is its `user:password`, which `url-credentials` handles on its own. */
const URL_VALUE = /^[a-z][a-z0-9+.-]*:\/\//i;

function isNotASecretValue(value: string): boolean {
  return value.length < 3 || NOT_A_SECRET_VALUE.test(value) || VARIABLE_REFERENCE.test(value) || URL_VALUE.test(value);
}

// `pass` alone only as a whole word of the name (`DB_PASS`, `--pass`), not inside `bypass`.
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|pwd|(?<![A-Za-z])pass|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|secret[_-]?key|private[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|client[_-]?secret|credentials?)`;
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]*?${SECRET_WORD}`;
/** An object key that names a secret (`password`, `client_secret`, `apiKey`). */
const SECRET_KEY_NAME = new RegExp(String.raw`^${SECRET_KEY}$`, 'i');
const SECRET_ASSIGNMENT_RULE = 'secret-assignment';
// A value: double-quoted, single-quoted, double-quoted inside a JSON string (`\"...\"`), or bare.
const SECRET_VALUE = String.raw`(?:\\"(?<eq>[^"\\\n]{1,500})\\"|"(?<dq>[^"\n]{1,500})"|'(?<sq>[^'\n]{1,500})'|(?<bare>[^\s"'\x60,;&|)}\]<>\\]{1,500}))`;

/** Names a person uses for a secret in prose: `password`, `API key`, `secret access key`. */
const PROSE_KEY = String.raw`(?:${SECRET_KEY}|(?:api|access|secret|private|signing|license|auth|account)[ \t]+key|pass[ \t]?phrase|pin[ \t]?code)`;
const PROSE_VERB = String.raw`(?:is|was|are|were|=|:|->|=>)`;

/** A prose value looks like a secret: a digit, a symbol or an inner capital, not a word. */
function looksLikeSecretValue(value: string, minLength: number): boolean {
  if (value.length < minLength || isNotASecretValue(value)) return false;
  if (/^[A-Za-z]+$/.test(value) && !/[a-z][A-Z]/.test(value)) return false;
  if (/^\d+$/.test(value) && value.length < 12) return false;
  return /[0-9]/.test(value) || /[^A-Za-z0-9]/.test(value) || /[a-z][A-Z]/.test(value);
}

/** A token, not an identifier: hex of 32+, or upper, lower and digits mostly outside word-like runs. */
function looksLikeToken(value: string): boolean {
  if (/^[0-9a-fA-F]{32,}$/.test(value)) return true;
  if (!/^[A-Za-z0-9+/=_.~-]+$/.test(value) || !/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value)) return false;
  let wordChars = 0;
  for (const chunk of value.matchAll(WORD_CHUNK)) wordChars += chunk[0].length;
  return wordChars / value.length < 0.6;
}

/** A shell command's password flag: the command, then the flag; the value is the `secret` group. */
const COMMAND_FLAG_VALUE = String.raw`(?:'(?<sq>[^'\n]{1,200})'|"(?<dq>[^"\n]{1,200})"|(?<bare>[^\s'"\x60;&|]{1,200}))`;
const UNTIL_FLAG = String.raw`[^\n;&|]*?`;

function builtinDetectors(): Detector[] {
  const specific = (ruleId: string, regex: RegExp, group: number | string = 0, reject?: Detector['reject']): Detector => ({
    ruleId,
    regex,
    group,
    priority: PRIORITY_SPECIFIC,
    ...(reject === undefined ? {} : { reject }),
  });
  const generic = (ruleId: string, regex: RegExp, group: number | string, reject?: Detector['reject']): Detector => ({
    ruleId,
    regex,
    group,
    priority: PRIORITY_GENERIC,
    ...(reject === undefined ? {} : { reject }),
  });
  return [
    // A block without its END line (a truncated transcript) is redacted to the end of its body.
    specific(
      'private-key',
      /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,.-]|\\[nr])*)/dg,
    ),
    specific('jwt', /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/dg),
    specific(URL_CREDENTIALS_RULE, /\b[a-z][a-z0-9+.-]*:\/\/([^\s/?#@"'<>\x60\\]*:[^\s/?#"'<>\x60\\]+)@/dgi, 1, (secret) =>
      /^\[REDACTED:/.test(secret.slice(secret.indexOf(':') + 1)),
    ),
    specific('aws-access-key', /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/dg),
    specific('github-token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/dg),
    specific('gitlab-token', /\bglpat-[A-Za-z0-9_-]{20,}/dg),
    specific('slack-token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/dg),
    specific('slack-webhook', /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{20,}/dg),
    specific('google-api-key', /\bAIza[0-9A-Za-z_-]{35}/dg),
    specific('anthropic-api-key', /\bsk-ant-[a-z0-9]+-[A-Za-z0-9_-]{20,}/dg),
    specific('stripe-key', /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/dg),
    specific('sk-api-key', /\bsk-[A-Za-z0-9_-]{20,}/dg),
    specific('npm-token', /\bnpm_[A-Za-z0-9]{36}\b/dg),
    generic('bearer-token', /\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)/dgi, 1),
    generic(
      'authorization-header',
      /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token|digest|negotiate|apikey|sso-key)\s+)?([^\s"'\x60,;]{8,})/dgi,
      1,
      (secret) => isNotASecretValue(secret),
    ),
    // `password=...`, `"apiKey": "..."`, `token: ...`; the key must end with the secret word, so
    // `max_tokens: 4096` and `tokenCount = 3` are left alone.
    generic(
      'secret-assignment',
      new RegExp(String.raw`(?<![A-Za-z0-9_.-])${SECRET_KEY}\\?["']?\s*(?:=(?![=>~])|:=|:(?![:/]))[ \t]*${SECRET_VALUE}`, 'dgi'),
      'secret',
      // An unquoted PascalCase word is a type (`token: Token`), not a value.
      (secret, match) => isNotASecretValue(secret) || (match.endsWith(secret) && /^(?:[A-Z][a-z]+)+$/.test(secret)),
    ),
    generic(
      'secret-assignment',
      new RegExp(String.raw`(?<![A-Za-z0-9_.-])--${SECRET_KEY}(?:=|[ \t]+)${SECRET_VALUE}`, 'dgi'),
      'secret',
      (secret) => isNotASecretValue(secret) || secret.startsWith('-'),
    ),
    // Passwords on command lines, by the command and its flag.
    specific(
      'command-password',
      new RegExp(String.raw`(?<![\w.-])(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlsh|mariadb(?:-dump|-admin)?)\b${UNTIL_FLAG}[ \t]-p${COMMAND_FLAG_VALUE}`, 'dg'),
      'secret',
      (secret) => isNotASecretValue(secret),
    ),
    specific(
      'command-password',
      new RegExp(String.raw`(?<![\w.-])(?:sshpass[ \t]+(?:-[a-zA-Z]+[ \t]+)*-p|redis-cli${UNTIL_FLAG}[ \t]-a|(?:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport)${UNTIL_FLAG}[ \t]-p|sqlcmd${UNTIL_FLAG}[ \t]-P|(?:docker|podman|buildah|skopeo|nerdctl|helm|oras|crane|cf|regctl)\b${UNTIL_FLAG}\blogin\b${UNTIL_FLAG}[ \t]-p)(?:[ \t]+|=)?${COMMAND_FLAG_VALUE}`, 'dg'),
      'secret',
      (secret) => isNotASecretValue(secret) || secret.startsWith('-'),
    ),
    // `curl -u user:password`, `--user`, `--proxy-user`: the part after the colon.
    specific(
      'command-password',
      /(?<![\w-])(?:-u|--user|--proxy-user|-U)(?:[ \t]+|=)?(?<q>['"]?)[^\s:'"]{1,100}:(?<secret>[^\s'"]{1,200})\k<q>/dg,
      'secret',
      // `-u 1000:1000` is a uid:gid, `rsync -u host:/path` a remote path.
      (secret, match) => isNotASecretValue(secret) || /^\d+$/.test(secret) || /^[/~]/.test(secret) || /\b(?:docker|podman|chown|kubectl)\b/.test(match),
    ),
    // OpenSSL's pass phrase arguments: `-passout pass:secret`, `-passin 'pass:secret'`.
    specific('command-password', /(?<![\w-])pass:(?<secret>[^\s'"]{1,200})/dg, 'secret', (secret) => isNotASecretValue(secret)),
    // `htpasswd -b [-c] file user password`.
    specific(
      'command-password',
      /(?<![\w.-])htpasswd(?:[ \t]+-[a-zA-Z]+)*[ \t]+-[a-zA-Z]*b[a-zA-Z]*(?:[ \t]+-[a-zA-Z]+)*[ \t]+\S+[ \t]+\S+[ \t]+(?<secret>[^\s'"]+)/dg,
      'secret',
    ),
    // `.netrc`: `machine host login user password secret`, on one line or several.
    specific('netrc-password', /\b(?:login|account)[ \t]+\S+\s+password[ \t]+(?<secret>\S+)/dg, 'secret', (secret) => isNotASecretValue(secret)),
    // An AWS secret access key is 40 characters of base64, words or not, after its name.
    specific(
      'aws-secret-access-key',
      /\baws[ \t_-]?secret(?:[ \t_-]?access)?[ \t_-]?keys?["'\x60]?(?:[ \t]+(?:is|was|=|:)[ \t]+|[ \t]*[:=][ \t]*|[ \t]+)["'\x60]?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/dgi,
      'secret',
    ),
    specific('sendgrid-api-key', /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}/dg),
    // "the password is hunter2!", "API key: 9f3a...", "secret access key wJalr...": a secret-like
    // name, a verb or separator, then a value that looks like a secret (without a verb: a long one).
    generic(
      'secret-in-prose',
      new RegExp(
        String.raw`(?<![A-Za-z0-9_.-])${PROSE_KEY}s?["'\x60]?(?<verb>[ \t]+${PROSE_VERB}:?[ \t]+|[ \t]*[:=][ \t]*|[ \t]+)["'\x60]?(?<secret>[^\s"'\x60,;]{6,300})`,
        'dgi',
      ),
      'secret',
      (secret, match) => {
        const value = secret.replace(/[.):!?]+$/, '');
        const verb = /[:=]|\b(?:is|was|are|were)\b/i.test(match.slice(0, match.length - secret.length));
        if (verb) return !looksLikeSecretValue(value, 6);
        // Without a verb ("secret access key wJalr…") only a token-shaped value, not an identifier.
        return !looksLikeSecretValue(value, 16) || !looksLikeToken(value);
      },
    ),
  ];
}

/**
 * Values of a Kubernetes Secret's `data:` / `stringData:` (YAML or JSON), when the text declares
 * `kind: Secret`: base64 of a password is not found by its shape.
 */
function kubernetesSecretFindings(text: string, offset: number, out: RankedFinding[]): void {
  if (!/\bkind["']?\s*:\s*["']?Secret\b/.test(text)) return;
  const yamlBlock = /^([ \t]*)(?:data|stringData):[ \t]*\r?\n((?:\1[ \t]+[^\n]*(?:\n|$)|[ \t]*(?:\n|$))*)/gm;
  for (const block of text.matchAll(yamlBlock)) {
    const bodyStart = block.index + block[0].length - (block[2] ?? '').length;
    for (const entry of (block[2] ?? '').matchAll(/^[ \t]+["']?[\w.-]+["']?:[ \t]*["']?([^\s"'#][^\n"']*?)["']?[ \t]*$/gm)) {
      const value = entry[1] ?? '';
      if (value.length === 0 || value === '|' || value === '>') continue;
      const start = bodyStart + entry.index + entry[0].indexOf(value);
      out.push({ ruleId: KUBERNETES_SECRET_RULE, start: offset + start, end: offset + start + value.length, priority: PRIORITY_SPECIFIC });
    }
  }
  for (const block of text.matchAll(/\\?"(?:data|stringData)\\?"\s*:\s*\{([^{}]*)\}/g)) {
    const bodyStart = block.index + block[0].indexOf('{') + 1;
    for (const entry of (block[1] ?? '').matchAll(/\\?"[^"\\]*\\?"\s*:\s*\\?"([^"\\]+)\\?"/g)) {
      const value = entry[1] ?? '';
      const start = bodyStart + entry.index + entry[0].lastIndexOf(value);
      out.push({ ruleId: KUBERNETES_SECRET_RULE, start: offset + start, end: offset + start + value.length, priority: PRIORITY_SPECIFIC });
    }
  }
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const ENTROPY_CANDIDATE = /[A-Za-z0-9+/_-]{20,}={0,2}/g;
const WORD_CHUNK = /[A-Z]?[a-z]{3,}|[A-Z]{4,}/g;

/**
 * Whether a token of the base64 / url-safe / hex alphabet looks like a random secret.
 * - hex (>= 32 chars): entropy >= 3.0 bits/char, except 40 and 64 chars, which are kept: in
 *   commands and transcripts those are git commit/object ids far more often than secrets;
 * - base64-like (>= 20 chars) with upper case, lower case and a digit, or lower/upper case and
 *   digits only (>= 32 chars): entropy >= min(4.5, log2(length) - 0.75) bits/char, about 3.57 at 20
 *   chars, 4.0 at 27 and 4.5 from 40 (random tokens rarely fall under it; a flat 4.0 would miss half
 *   of the random 20-char ones), and less than 60% of it made of word-like chunks (`Login`,
 *   `node`, `ESM`), which rules out identifiers and paths.
 * UUIDs, words and short tokens (base64 of a short word) are never secrets here.
 */
export function isHighEntropySecret(token: string): boolean {
  const body = token.replace(/=+$/, '');
  if (body.length < 20) return false;
  if (/^[0-9a-fA-F]+$/.test(body)) {
    if (body.length < 32 || body.length === 40 || body.length === 64) return false;
    return shannonEntropy(body) >= 3.0;
  }
  const lower = /[a-z]/.test(body);
  const upper = /[A-Z]/.test(body);
  const digit = /[0-9]/.test(body);
  if (!digit) return false;
  if (!(lower && upper) && body.length < 32) return false;
  const threshold = Math.min(4.5, Math.log2(body.length) - 0.75);
  if (shannonEntropy(body) < threshold) return false;
  let wordChars = 0;
  for (const chunk of body.matchAll(WORD_CHUNK)) wordChars += chunk[0].length;
  return wordChars / body.length < 0.6;
}

/**
 * Ids with a known prefix: Anthropic's tool-use, message, request and file ids, OpenAI's call and
 * response ids, OpenCode's session and part ids (`ses_30bfbb6f4ffeJ2960akRy1tOR3`). They make a
 * session readable and authorise nothing.
 */
const STRUCTURAL_ID = /^(?:toolu|srvtoolu|msg|msgbatch|req|file|call|resp|chatcmpl|run|thread|asst|step|ses|prt)_[A-Za-z0-9]+$|^chatcmpl-[A-Za-z0-9]+$/;
/** Known hash formats: SRI / npm integrity (`sha512-…`). */
const HASH_PREFIX = /^(?:sha1|sha224|sha256|sha384|sha512|md5)-/i;
/** What stands right before a hash or an encoded payload: Go sums (`h1:`), digests, data URLs. */
const HASH_LEAD = /(?:\bh1:|\b(?:sha1|sha224|sha256|sha384|sha512|md5|blake2b|blake3):|;base64,)$/i;
/** The base64 `data` of an image block (`"media_type":"image/png","data":"…"`). */
const IMAGE_DATA_LEAD = /"media_type"\s*:\s*"image\/[\w.+-]+"\s*,\s*"data"\s*:\s*"$/;
/** The characters a path word is made of, and what starts one. */
const PATH_WORD = /[^\s"'\x60<>()[\]{},;|&=]+$/;
const PATH_START = /^(?:\/|~\/|\.{1,2}\/|[A-Za-z]:[\\/]|\$\{?(?:TMPDIR|TMP|TEMP|HOME)\b)/;

/**
 * Whether the entropy candidate at `index` of `text` is a path: in a word that starts like one
 * (`/`, `~/`, `./`, `C:\`, `$TMPDIR`) or that has a directory and ends in a file extension. Paths
 * are not judged by their entropy: repository paths are public with the commits, and temporary
 * directories are random by design. Known token formats inside a path are still found.
 */
function inPath(text: string, index: number, token: string): boolean {
  const before = PATH_WORD.exec(text.slice(Math.max(0, index - 300), index))?.[0] ?? '';
  const after = /^[^\s"'\x60<>()[\]{},;|&=]*/.exec(text.slice(index + token.length, index + token.length + 300))?.[0] ?? '';
  const word = `${before}${token}${after}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(word) || /[a-z][a-z0-9+.-]*:\/\//i.test(before)) return false;
  if (PATH_START.test(word)) return true;
  return word.includes('/') && /\/[^/]*\.[A-Za-z][A-Za-z0-9]{0,7}$/.test(word);
}

function entropyFindings(text: string, offset: number, out: RankedFinding[]): void {
  for (const candidate of text.matchAll(ENTROPY_CANDIDATE)) {
    const lead = text.slice(Math.max(0, candidate.index - 120), candidate.index);
    if (STRUCTURAL_ID.test(candidate[0]) || HASH_PREFIX.test(candidate[0]) || HASH_LEAD.test(lead) || IMAGE_DATA_LEAD.test(lead)) continue;
    if (inPath(text, candidate.index, candidate[0])) continue;
    const start = offset + candidate.index;
    // A UUID inside a token is an identifier; judge the pieces around it on their own.
    let pieceStart = 0;
    const token = candidate[0];
    const pieces: [number, number][] = [];
    for (const uuid of token.matchAll(UUID)) {
      pieces.push([pieceStart, uuid.index]);
      pieceStart = uuid.index + uuid[0].length;
    }
    pieces.push([pieceStart, token.length]);
    for (const [from, to] of pieces) {
      const piece = token.slice(from, to).replace(/^[-_/+]+|[-_/+]+$/g, (edge) => ' '.repeat(edge.length));
      const trimmedStart = piece.length - piece.trimStart().length;
      const trimmed = piece.trim();
      if (isHighEntropySecret(trimmed)) {
        out.push({ ruleId: HIGH_ENTROPY_RULE, start: start + from + trimmedStart, end: start + from + trimmedStart + trimmed.length, priority: PRIORITY_ENTROPY });
      }
    }
  }
}

function runDetector(detector: Detector, text: string, offset: number, out: RankedFinding[]): void {
  const regex = detector.regex;
  regex.lastIndex = 0;
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    const indices = match.indices;
    let span: [number, number] | undefined;
    if (typeof detector.group === 'number') {
      span = indices?.[detector.group];
    } else {
      const named = indices?.groups;
      span = named?.[detector.group];
      // Secret-assignment values come in one of several alternatives.
      if (span === undefined && named !== undefined) span = named['eq'] ?? named['dq'] ?? named['sq'] ?? named['bare'];
    }
    const secret = span === undefined ? '' : text.slice(span[0], span[1]);
    if (span === undefined || secret.length === 0 || detector.reject?.(secret, match[0]) === true) {
      // A rejected match may hide a real one inside it (`token: https://...?password=...`).
      regex.lastIndex = match.index + 1;
      continue;
    }
    if (match[0].length === 0) regex.lastIndex = match.index + 1;
    out.push({ ruleId: detector.ruleId, start: offset + span[0], end: offset + span[1], priority: detector.priority });
  }
}

/** `scheme://user:password@host...` found by any rule is narrowed to `user:password`. */
function narrowUrlCredentials(text: string, offset: number, finding: RankedFinding): RankedFinding {
  const slice = text.slice(finding.start - offset, finding.end - offset);
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^\s/?#@"'<>]*:[^\s/?#"'<>]+)@/i.exec(slice);
  const userinfo = url?.[1];
  if (url === null || userinfo === undefined) return finding;
  const start = finding.start + url[0].length - 1 - userinfo.length;
  return { ...finding, ruleId: URL_CREDENTIALS_RULE, start, end: start + userinfo.length };
}

/** Sort by start, longest first, then priority; fold overlaps into the first finding. */
function mergeFindings(findings: RankedFinding[]): RankedFinding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end || a.priority - b.priority);
  const merged: RankedFinding[] = [];
  for (const finding of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && finding.start < last.end) {
      last.end = Math.max(last.end, finding.end);
    } else {
      merged.push({ ...finding });
    }
  }
  return merged;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileExtraPatterns(patterns: readonly ExtraPattern[]): Detector[] {
  const problems: string[] = [];
  const detectors: Detector[] = [];
  patterns.forEach((extra, index) => {
    const where = `redaction.extraPatterns[${index}]`;
    if (typeof extra.id !== 'string' || !RULE_ID_PATTERN.test(extra.id)) {
      problems.push(`${where}.id: ${JSON.stringify(extra.id)} must be 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit`);
      return;
    }
    if (typeof extra.pattern !== 'string' || extra.pattern.length === 0) {
      problems.push(`${where}.pattern: must be a non-empty regular expression`);
      return;
    }
    try {
      const regex = new RegExp(extra.pattern, 'dg');
      detectors.push({ ruleId: extra.id, regex, group: /\(\?<secret>/.test(extra.pattern) ? 'secret' : 0, priority: PRIORITY_EXTRA });
    } catch (error) {
      problems.push(`${where}.pattern (${extra.id}): invalid regular expression: ${errorMessage(error)}`);
    }
  });
  if (problems.length > 0) {
    throw new TraceError('BAD_CONFIG', `Invalid redaction pattern:\n  ${problems.join('\n  ')}`, {
      hint: 'Fix trace.redaction.extraPatterns in .chainloop.yml (patterns are JavaScript regular expressions).',
    });
  }
  return detectors;
}

export async function createRedactor(options: RedactorOptions = {}): Promise<Redactor> {
  const extras = compileExtraPatterns(options.extraPatterns ?? []);
  let scanner = options.scanner;
  if (scanner === undefined) {
    try {
      const { loadSecretlintScanner } = await import('../redaction/secretlint.js');
      scanner = await loadSecretlintScanner();
    } catch (error) {
      throw new TraceError('BAD_INPUT', `The secret scanner (secretlint) could not be loaded: ${errorMessage(error)}`, {
        cause: error,
        hint: 'Nothing was uploaded. Reinstall trace (npm ci) and retry.',
      });
    }
  }
  return buildRedactor(scanner, extras, options.entropy ?? true);
}

/**
 * Whole strings no built-in detector can match, skipped for speed: a short identifier, a
 * structural id (`toolu_…`), a git object id, a UUID, an ISO timestamp.
 */
const PLAIN_STRING =
  /^(?:[A-Za-z0-9_]{0,16}|(?:toolu|srvtoolu|msg|req)_[A-Za-z0-9_-]{8,64}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d))$/;

function buildRedactor(scanner: SecretScanner, extras: Detector[], entropy: boolean): Redactor {
  const detectors = [...extras, ...builtinDetectors()];
  const ruleIds = new Set<string>([...scanner.ruleIds, ...detectors.map((d) => d.ruleId), HIGH_ENTROPY_RULE, KUBERNETES_SECRET_RULE]);
  const placeholder = new RegExp(
    String.raw`\[REDACTED:(?:${[...ruleIds].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})\]`,
    'g',
  );

  const scanSegment = (text: string, offset: number, out: RankedFinding[]): void => {
    const found: RankedFinding[] = [];
    for (const detector of detectors) runDetector(detector, text, offset, found);
    kubernetesSecretFindings(text, offset, found);
    for (const finding of scanner.scan(text)) {
      const start = Math.max(0, Math.min(finding.start, text.length));
      const end = Math.max(start, Math.min(finding.end, text.length));
      if (end > start) found.push({ ruleId: finding.ruleId, start: offset + start, end: offset + end, priority: PRIORITY_SCANNER });
    }
    // Narrow before merging, so a finding inside the rest of the URL keeps its own span.
    const merged = mergeFindings(found.map((f) => narrowUrlCredentials(text, offset, f)));
    out.push(...merged);
    if (!entropy) return;
    // Entropy runs on the gaps between other findings, so a second pass sees the same gaps.
    let cursor = 0;
    for (const finding of merged) {
      entropyFindings(text.slice(cursor, finding.start - offset), offset + cursor, out);
      cursor = finding.end - offset;
    }
    entropyFindings(text.slice(cursor), offset + cursor, out);
  };

  const scan = (text: string): RankedFinding[] => {
    const raw: RankedFinding[] = [];
    try {
      // Existing placeholders are boundaries: what lies between them is scanned on its own.
      let cursor = 0;
      for (const existing of text.matchAll(placeholder)) {
        if (existing.index > cursor) scanSegment(text.slice(cursor, existing.index), cursor, raw);
        cursor = existing.index + existing[0].length;
      }
      if (cursor < text.length) scanSegment(cursor === 0 ? text : text.slice(cursor), cursor, raw);
    } catch (error) {
      throw new TraceError('BAD_INPUT', `Secret scanning failed, so nothing may be uploaded: ${errorMessage(error)}`, {
        cause: error,
        hint: 'Run `trace status` for details; report the failure if it persists.',
      });
    }
    return mergeFindings(raw);
  };

  return {
    redactText(text: string) {
      if (typeof text !== 'string') return { text, findings: [] };
      // Most strings of a session are ids, timestamps and names: no detector can match them.
      if (extras.length === 0 && PLAIN_STRING.test(text)) return { text, findings: [] };
      let findings = scan(text);
      if (findings.length === 0) return { text, findings: [] };
      // Rescan the output until it is clean, so that redacting it again changes nothing: next to a
      // placeholder a pattern can match where the secret's own characters stopped it. Each round
      // redacts at least one more character of the input, so this ends.
      for (;;) {
        const rendered = render(text, findings);
        const more = scan(rendered.text);
        if (more.length === 0) {
          return { text: rendered.text, findings: findings.map(({ ruleId, start, end }) => ({ ruleId, start, end })) };
        }
        findings = mergeFindings([...findings, ...more.map((f) => rendered.toInput(f))]);
      }
    },
  };
}

/** Replace findings with placeholders; `toInput` maps a span of kept output text back to the input. */
function render(text: string, findings: readonly RankedFinding[]): { text: string; toInput: (f: RankedFinding) => RankedFinding } {
  const kept: { outStart: number; inStart: number; length: number }[] = [];
  let out = '';
  let cursor = 0;
  for (const finding of findings) {
    kept.push({ outStart: out.length, inStart: cursor, length: finding.start - cursor });
    out += `${text.slice(cursor, finding.start)}[REDACTED:${finding.ruleId}]`;
    cursor = finding.end;
  }
  kept.push({ outStart: out.length, inStart: cursor, length: text.length - cursor });
  out += text.slice(cursor);
  const toInput = (f: RankedFinding): RankedFinding => {
    // Output findings never cover a placeholder, so each lies within one kept stretch.
    const stretch = kept.find((k) => f.start >= k.outStart && f.start < k.outStart + k.length);
    if (stretch === undefined) throw new TraceError('BAD_INPUT', 'Redaction found a secret inside a placeholder');
    const delta = stretch.inStart - stretch.outStart;
    return { ...f, start: f.start + delta, end: Math.min(f.end, stretch.outStart + stretch.length) + delta };
  };
  return { text: out, toInput };
}

/**
 * Strings redaction leaves alone by their place, here and in the `noUnredactedSecrets` check:
 * - an image block's base64 `data` (`{ type: 'base64', media_type: 'image/…', data }`): pixels, not text;
 * - a session object's `code_changes`: repository paths and counts, published as they are in
 *   `commits[].files[]` and in the pushed commits themselves, so the two always agree.
 */
export function isRedactionExempt(key: string, parent: object): boolean {
  const record = parent as Record<string, unknown>;
  if (key === 'data') return record.type === 'base64' && typeof record.media_type === 'string' && record.media_type.startsWith('image/');
  if (key === 'code_changes') return typeof record.schema_version === 'string';
  return false;
}

/** Walks strings in plain objects and arrays (keys untouched, `isRedactionExempt` places kept) and returns a redacted deep copy. */
export function redactDeep<T>(value: T, redactor: Redactor): { value: T; report: RedactionReport } {
  const counts = new Map<string, number>();
  const seen = new WeakMap<object, unknown>();
  // Strings repeat (tool names, paths, ids): each distinct one is scanned once.
  const memo = new Map<string, { text: string; findings: readonly RedactionFinding[] }>();
  const walk = (node: unknown, key?: string): unknown => {
    if (typeof node === 'string') {
      let result = memo.get(node);
      if (result === undefined) {
        result = redactor.redactText(node);
        memo.set(node, result);
      }
      // A value under a secret-like key (`{ "password": "hunter2" }`) is a secret whatever its shape.
      if (result.findings.length === 0 && key !== undefined && SECRET_KEY_NAME.test(key) && !isNotASecretValue(node)) {
        counts.set(SECRET_ASSIGNMENT_RULE, (counts.get(SECRET_ASSIGNMENT_RULE) ?? 0) + 1);
        return `[REDACTED:${SECRET_ASSIGNMENT_RULE}]`;
      }
      for (const f of result.findings) counts.set(f.ruleId, (counts.get(f.ruleId) ?? 0) + 1);
      return result.text;
    }
    if (typeof node !== 'object' || node === null) return node;
    const copied = seen.get(node);
    if (copied !== undefined) return copied;
    if (Array.isArray(node)) {
      const copy: unknown[] = [];
      seen.set(node, copy);
      for (const item of node) copy.push(walk(item));
      return copy;
    }
    const proto: unknown = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) return node; // Dates, buffers, class instances: left as they are.
    const copy: Record<string, unknown> = proto === null ? (Object.create(null) as Record<string, unknown>) : {};
    seen.set(node, copy);
    for (const [key, item] of Object.entries(node)) copy[key] = isRedactionExempt(key, node) ? item : walk(item, key);
    return copy;
  };
  const redacted = walk(value) as T;
  const rules = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ruleId, count]) => ({ ruleId, count }));
  return { value: redacted, report: { total: rules.reduce((sum, r) => sum + r.count, 0), rules } };
}
