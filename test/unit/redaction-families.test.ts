// Redaction over the families people really type: each secret is found by its context, and the ids
// and hashes that make a session readable are left alone.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRedactor, type Redactor } from '../../src/core/redact.js';
import { secretCases, structuralCases } from '../support/secrets.js';

let redactor: Redactor;
beforeAll(async () => {
  redactor = await createRedactor();
});

/** Every run of 8 characters of the secret (the whole of a shorter one). */
function pieces(secret: string): string[] {
  if (secret.length <= 8) return [secret];
  const out: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

describe('secret families', () => {
  it.each(secretCases().map((c) => [c.family, c] as const))('%s', (_family, c) => {
    const { text } = redactor.redactText(c.text);
    for (const piece of pieces(c.secret)) expect(text, `${piece} of ${c.secret} survived in: ${text}`).not.toContain(piece);
    expect(text).toMatch(/\[REDACTED:[a-z0-9._-]+\]/);
    expect(redactor.redactText(text).findings).toEqual([]);
  });
});

describe('structural ids and hashes', () => {
  it.each(structuralCases().map((c) => [c.kind, c] as const))('keeps %s', (_kind, c) => {
    const { text, findings } = redactor.redactText(c.text);
    expect(findings, text).toEqual([]);
    expect(text).toContain(c.token);
  });
});

describe('ordinary text stays as it is', () => {
  it.each([
    ['mkdir -p', 'mkdir -p src/core && ssh -p 2222 host && git push -u origin main'],
    ['docker user ids', 'docker run -u 1000:1000 --rm node:20 npm test'],
    ['rsync to a host path', 'rsync -u -a dist/ deploy:/srv/www/ && scp -r out host:~/backup'],
    ['test summaries', 'pass: 12 fail: 0'],
    ['prose about passwords', 'the password is incorrect, and the token was expired; the secret is stored in Vault'],
    ['a password field', 'add a password field and a token counter to the form'],
    ['a key name without a value', 'the API key is required; set the access key in settings'],
    ['mysql asking for the password', 'mysql -u root -p shop'],
    ['a yaml config without kind Secret', 'kind: ConfigMap\ndata:\n  LOG_LEVEL: debug\n  PORT: "8080"\n'],
    ['bypass', 'bypass=true compass=north'],
    ['identifiers after a secret word', 'the token counting_function_v2_beta and password getPasswordHash2Async are helpers'],
    ['usage counts', '"input_tokens": 1234567, "max_tokens": 4096, "cache_read_input_tokens": 0'],
  ])('%s', (_name, text) => {
    expect(redactor.redactText(text)).toEqual({ text, findings: [] });
  });
});

describe('a transcript full of structural ids', () => {
  it('keeps every tool-use id, message id, request id and hash (counted), and still finds the secret among them', () => {
    const structural = structuralCases();
    const secret = secretCases().find((c) => c.family === 'high entropy token')!;
    const lines: string[] = [];
    for (let i = 0; i < 267; i++) lines.push(structural[i % structural.length]!.text);
    lines.push(secret.text);
    const { text } = redactor.redactText(lines.join('\n'));
    let kept = 0;
    for (let i = 0; i < 267; i++) if (text.includes(structural[i % structural.length]!.token)) kept++;
    expect(kept).toBe(267);
    expect(text).not.toContain(secret.secret);
    expect(text.match(/\[REDACTED:/g)).toHaveLength(1);
  });
});

describe('redact first, then cut', () => {
  it('a secret across the 2,000-character cut leaves no prefix, and a placeholder is never split', async () => {
    const { cutRetainedString } = await import('../../src/attest/evidence.js');
    for (const at of [1980, 1990, 1995, 1999]) {
      const secret = `${'gh'}p_${'Q7tZk2Xv9mWp4RbN8cLdHf3Jy6Ts'.repeat(2).slice(0, 36)}`;
      const text = `${'x'.repeat(at)} ${secret} tail`;
      const cut = cutRetainedString(redactor.redactText(text).text);
      expect(cut).not.toContain(secret.slice(0, 4));
      expect(cut).toMatch(/\[REDACTED:github-token\]…\[\d+ more characters not retained\]$|^x+ ?…\[\d+ more characters not retained\]$/);
    }
    expect(cutRetainedString('short')).toBe('short');
  });
});

describe('places redaction leaves alone', () => {
  it('keeps an image block and a session code_changes list as they are', async () => {
    const { isRedactionExempt, redactDeep } = await import('../../src/core/redact.js');
    const image = { type: 'base64', media_type: 'image/png', data: 'Q7tZk2Xv9mWp4RbN8cLdHf3Jy6Ts'.repeat(4) };
    const doc = { type: 'base64', media_type: 'application/pdf', data: image.data };
    expect(isRedactionExempt('data', image)).toBe(true);
    expect(isRedactionExempt('data', doc)).toBe(false);
    const session = { schema_version: '0.1', code_changes: { files: [{ path: `fixtures/${image.data.slice(0, 30)}` }] }, note: image.data };
    const { value } = redactDeep({ image, doc, session }, redactor);
    expect(value.image.data).toBe(image.data);
    expect(value.doc.data).toBe('[REDACTED:high-entropy]');
    expect(value.session.code_changes).toEqual(session.code_changes);
    expect(value.session.note).toBe('[REDACTED:high-entropy]');
  });
});

describe('the noUnredactedSecrets check skips the same places', () => {
  it('flags a secret in a session but not its code_changes paths or image data', async () => {
    const { checkNoUnredactedSecrets } = await import('../../src/core/policy.js');
    const token = `${'gh'}p_${'Q7tZk2Xv9mWp4RbN8cLdHf3Jy6Ts'.repeat(2).slice(0, 36)}`;
    const image = { type: 'base64', media_type: 'image/png', data: 'Q7tZk2Xv9mWp4RbN8cLdHf3Jy6Ts'.repeat(4) };
    const session = (extra: object) => ({
      schema_version: '0.1',
      session: { id: 's1' },
      code_changes: { files: [{ path: `fixtures/${token}.txt` }] },
      raw_session: { main: [{ type: 'tool_result', content: [{ type: 'image', source: image }] }] },
      ...extra,
    });
    const statement = (extra: object) =>
      ({ predicate: { commits: [], sessions: [session(extra)], warnings: [] } }) as unknown as Parameters<typeof checkNoUnredactedSecrets>[0];
    const policies = { noUnredactedSecrets: true } as Parameters<typeof checkNoUnredactedSecrets>[1];
    const detect = (text: string) => redactor.redactText(text).findings;
    expect(checkNoUnredactedSecrets(statement({}), policies, detect)).toEqual([]);
    expect(checkNoUnredactedSecrets(statement({ warnings: [`leaked ${token}`] }), policies, detect)).toHaveLength(1);
  });
});

describe('values under a secret-like key', () => {
  it('redacts a tool input field named like a secret whatever its value looks like, and nothing else', async () => {
    const { redactDeep } = await import('../../src/core/redact.js');
    const input = { name: 'mcp__db__connect', input: { host: 'db', user: 'app', password: 'hunter2', apiKey: 'plainword', token: '$TOKEN', max_tokens: '4096' } };
    const { value, report } = redactDeep(input, redactor);
    expect(value.input).toEqual({ host: 'db', user: 'app', password: '[REDACTED:secret-assignment]', apiKey: '[REDACTED:secret-assignment]', token: '$TOKEN', max_tokens: '4096' });
    expect(report.total).toBe(2);
    expect(redactDeep(value, redactor).value).toEqual(value);
  });
});
