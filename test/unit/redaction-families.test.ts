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
    ['prose about passwords', 'the password is incorrect, and the token was expired; the secret is stored in Vault'],
    ['a password field', 'add a password field and a token counter to the form'],
    ['a key name without a value', 'the API key is required; set the access key in settings'],
    ['mysql asking for the password', 'mysql -u root -p shop'],
    ['a yaml config without kind Secret', 'kind: ConfigMap\ndata:\n  LOG_LEVEL: debug\n  PORT: "8080"\n'],
    ['bypass', 'bypass=true compass=north'],
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
