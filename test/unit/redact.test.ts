import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRedactor,
  isHighEntropySecret,
  redactDeep,
  shannonEntropy,
  type Redactor,
  type SecretScanner,
} from '../../src/core/redact.js';
import { TraceError } from '../../src/errors.js';

// Fake secrets are assembled at run time: no secret-shaped literal sits in the repository.
const alnum = (n: number, seed = 'Q7tZk2Xv9mWp4RbN8cLdHf3Jy6Ts'): string => seed.repeat(Math.ceil(n / seed.length) + 1).slice(0, n);
const hex = (n: number): string => '9f3a1c7e5b2d8046'.repeat(8).slice(0, n);
const join = (...parts: string[]): string => parts.join('');

const AWS_ID = join('AK', 'IA', 'Z7QX4MT2', 'PL9W3N8K');
const GHP = join('gh', 'p_', alnum(36));
const GH_FINE = join('github', '_pat_', alnum(22), '_', alnum(59, 'mP3xR8vQ2nL6kT9wZ4bY7cD5'));
const GLPAT = join('gl', 'pat-', alnum(20));
const SLACK = join('xo', 'xb-', '2736410958', '-', '4017263859201', '-', alnum(24));
const GOOGLE = join('AI', 'za', alnum(35));
const ANTHROPIC = join('sk', '-ant-', 'api03-', alnum(93), 'AA');
const OPENAI = join('sk', '-proj-', alnum(74), 'T3Blbk', 'FJ', alnum(74, 'mP3xR8vQ2nL6kT9wZ4bY7cD5'));
const SK_GENERIC = join('sk', '-', alnum(40));
const NPM = join('np', 'm_', alnum(36));
const STRIPE = join('sk', '_live_', alnum(24));
const JWT = join('eyJ', 'hbGciOiJIUzI1NiJ9', '.', 'eyJ', 'zdWIiOiIxMjM0In0', '.', alnum(30));
const SENDGRID = join('SG', '.', alnum(22), '.', alnum(43));
const LINEAR = join('lin', '_api_', alnum(40));
const PEM_BODY = `MIIE${alnum(64)}\n${alnum(64, 'x8Kq2Lm7Np4Rs9Tv3Wy6Zb1Cd5')}\n${alnum(20)}==`;
const PRIVATE_KEY = join('-----BEGIN RSA ', 'PRIVATE KEY-----\n', PEM_BODY, '\n-----END RSA ', 'PRIVATE KEY-----');

let redactor: Redactor;
beforeAll(async () => {
  redactor = await createRedactor();
});

const redact = (text: string): string => redactor.redactText(text).text;

describe('rule families', () => {
  it.each([
    ['aws access key id', `aws_access_key_id ${AWS_ID} in use`, 'aws_access_key_id [REDACTED:aws-access-key] in use'],
    ['aws secret key (secretlint, value only)', `AWS_SECRET_ACCESS_KEY=${alnum(40)}`, 'AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-access-key]'],
    ['github classic token', `export GITHUB_TOKEN=${GHP}`, 'export GITHUB_TOKEN=[REDACTED:github-token]'],
    ['github fine-grained token', `gh auth login --with-token ${GH_FINE}`, 'gh auth login --with-token [REDACTED:github-token]'],
    ['gitlab token', `curl --header "PRIVATE-TOKEN: ${GLPAT}" https://gitlab.example.com`, 'curl --header "PRIVATE-TOKEN: [REDACTED:gitlab-token]" https://gitlab.example.com'],
    ['slack token', `SLACK=${SLACK} node bot.js`, 'SLACK=[REDACTED:slack-token] node bot.js'],
    ['google api key', `?key=${GOOGLE}&q=x`, '?key=[REDACTED:google-api-key]&q=x'],
    ['anthropic key', `ANTHROPIC_API_KEY=${ANTHROPIC}`, 'ANTHROPIC_API_KEY=[REDACTED:anthropic-api-key]'],
    ['openai key (secretlint)', `client = OpenAI(api_key="${OPENAI}")`, 'client = OpenAI(api_key="[REDACTED:openai-api-key]")'],
    ['generic sk- key', `use ${SK_GENERIC} here`, 'use [REDACTED:sk-api-key] here'],
    ['npm token', `//registry.npmjs.org/:_authToken=${NPM}`, '//registry.npmjs.org/:_authToken=[REDACTED:npm-token]'],
    ['stripe key', `stripe.api_key = ${STRIPE}`, 'stripe.api_key = [REDACTED:stripe-key]'],
    ['jwt', `cookie session=${JWT}; Path=/`, 'cookie session=[REDACTED:jwt]; Path=/'],
    ['sendgrid key (secretlint)', `send with ${SENDGRID} now`, 'send with [REDACTED:sendgrid-api-key] now'],
    ['linear key (secretlint)', `linear ${LINEAR}`, 'linear [REDACTED:linear-api-key]'],
    ['bearer header', `curl -H "Authorization: Bearer ${alnum(32)}" https://api.example.com`, 'curl -H "Authorization: Bearer [REDACTED:bearer-token]" https://api.example.com'],
    ['basic authorization header', `Authorization: Basic ${join('ZGVwbG95', 'OnM0bHQ=')}`, 'Authorization: Basic [REDACTED:authorization-header]'],
    ['password= assignment', 'PGPASSWORD=hunter2 psql -h db', 'PGPASSWORD=[REDACTED:secret-assignment] psql -h db'],
    ['token: yaml', 'token: s3cr3t-value', 'token: [REDACTED:secret-assignment]'],
    ['json apiKey', '{"apiKey": "abc 123 def"}', '{"apiKey": "[REDACTED:secret-assignment]"}'],
    ['cli --password flag', 'mysql --password hunter2 -u root', 'mysql --password [REDACTED:secret-assignment] -u root'],
    ['client_secret single quotes', "client_secret='a-b-c-d'", "client_secret='[REDACTED:secret-assignment]'"],
    ['an assignment inside a rejected one', 'token: https://h.example/x?password=hunter22', 'token: https://h.example/x?password=[REDACTED:secret-assignment]'],
  ])('%s', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['a type annotation', 'function login(password: string, token: Token | undefined) {}'],
    ['usage counters', '"input_tokens": 1200, "max_tokens": 4096, tokenCount = 3'],
    ['comparisons', 'if (token == null || password === undefined) return'],
    ['variable references', 'PASSWORD=$DB_PASSWORD curl -H "Authorization: Bearer ${TOKEN}"'],
    ['code references', 'const apiKey = process.env.API_KEY; password: config.db.password'],
    ['prose about a bearer', 'the bearer of this note'],
    ['a url with a user and no password', 'git clone git@github.com:org/repo.git https://git@example.com/x'],
  ])('leaves %s alone', (_name, input) => {
    expect(redactor.redactText(input)).toEqual({ text: input, findings: [] });
  });
});

describe('url credentials', () => {
  it.each([
    [`git clone https://deploy:${'hunter2'}pass@example.com/org/x.git`, 'git clone https://[REDACTED:url-credentials]@example.com/org/x.git'],
    [`postgres://admin:${'S3cret'}Pass@db.example.com:5432/app`, 'postgres://[REDACTED:url-credentials]@db.example.com:5432/app'],
    [`mongodb+srv://app:${'p@ss'}word@cluster0.example.net/db?retryWrites=true`, 'mongodb+srv://[REDACTED:url-credentials]@cluster0.example.net/db?retryWrites=true'],
    [`redis://:${alnum(16)}@cache:6379/0`, 'redis://[REDACTED:url-credentials]@cache:6379/0'],
    [
      `postgres://u:${'pw1234'}@db/app?sslpassword=${'other-secret'}`,
      'postgres://[REDACTED:url-credentials]@db/app?sslpassword=[REDACTED:secret-assignment]',
    ],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('reports the user:password span only', () => {
    const input = `see https://bob:${'tops3cret'}@host.example/path`;
    const { findings } = redactor.redactText(input);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.ruleId).toBe('url-credentials');
    expect(input.slice(finding?.start, finding?.end)).toBe('bob:tops3cret');
  });
});

describe('private keys', () => {
  it('redacts a whole block and keeps the text around it', () => {
    expect(redact(`before\n${PRIVATE_KEY}\nafter`)).toBe('before\n[REDACTED:private-key]\nafter');
  });

  it('redacts blocks held with escaped newlines (JSON)', () => {
    const escaped = JSON.stringify(PRIVATE_KEY).slice(1, -1);
    expect(redact(`{"key":"${escaped}","n":1}`)).toBe('{"key":"[REDACTED:private-key]","n":1}');
  });

  it('redacts a truncated block to the end of its body', () => {
    const truncated = join('-----BEGIN OPENSSH ', 'PRIVATE KEY-----\n', alnum(64), '\n', alnum(40));
    expect(redact(`${truncated}`)).toBe('[REDACTED:private-key]');
  });

  it('redacts two blocks separately', () => {
    expect(redact(`${PRIVATE_KEY}\nand\n${PRIVATE_KEY}`)).toBe('[REDACTED:private-key]\nand\n[REDACTED:private-key]');
  });
});

describe('high entropy', () => {
  it.each([
    ['20 mixed chars', alnum(20)],
    ['40 url-safe chars', join(alnum(18), '-', alnum(21, 'mP3xR8vQ2nL6kT9wZ4bY7cD5'))],
    ['base64 with padding', join(alnum(30), '==')],
    ['32 hex chars', hex(32)],
    ['48 hex chars', hex(48)],
  ])('redacts %s', (_name, token) => {
    expect(isHighEntropySecret(token)).toBe(true);
    expect(redact(`value ${token} end`)).toBe('value [REDACTED:high-entropy] end');
  });

  it.each([
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a git commit SHA-1', '3f786850e387550fdab836ed7e6dc57d9f2b9a1c'],
    ['a SHA-256 object id', hex(64)],
    ['a path', 'src/core/attribution/replayEngine2.ts'],
    ['an absolute path', '/home/User1/Projects/MyApp2/src/index.ts'],
    ['a long English word', 'internationalization'],
    ['a camelCase identifier', 'handleUserLogin2FAVerification'],
    ['a model id', 'claude-sonnet-4-5-20250929'],
    ['base64 of a short word', Buffer.from('password').toString('base64')],
    ['base64 of a short phrase', Buffer.from('hello world!').toString('base64')],
    ['a session id with a UUID', 'session-123e4567-e89b-12d3-a456-426614174000'],
  ])('keeps %s', (_name, token) => {
    expect(redact(`value ${token} end`)).toBe(`value ${token} end`);
  });

  it('can be switched off', async () => {
    const noEntropy = await createRedactor({ entropy: false });
    expect(noEntropy.redactText(`value ${alnum(24)}`).text).toBe(`value ${alnum(24)}`);
    expect(noEntropy.redactText(`export GITHUB_TOKEN=${GHP}`).text).toBe('export GITHUB_TOKEN=[REDACTED:github-token]');
  });

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});

describe('placeholders and merging', () => {
  it('writes placeholders as [REDACTED:<rule-id>]', () => {
    const out = redact(`a ${GHP} b ${AWS_ID} c ${PRIVATE_KEY}`);
    expect(out).toBe('a [REDACTED:github-token] b [REDACTED:aws-access-key] c [REDACTED:private-key]');
    for (const match of out.matchAll(/\[REDACTED:([^\]]*)\]/g)) expect(match[1]).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
  });

  it('merges overlapping findings into one placeholder named by the earliest, longest', async () => {
    const custom = await createRedactor({ extraPatterns: [{ id: 'deploy-line', pattern: 'deploy [^ ]+ [^ ]+' }] });
    const { text, findings } = custom.redactText(`run deploy prod ${GHP} now`);
    expect(text).toBe('run [REDACTED:deploy-line] now');
    expect(findings).toEqual([{ ruleId: 'deploy-line', start: 4, end: 4 + 'deploy prod '.length + GHP.length }]);
  });

  it('does not let a secretlint-disable comment inside the text switch redaction off', () => {
    expect(redact(`// secretlint-disable\nconst t = "${GHP}"`)).toBe('// secretlint-disable\nconst t = "[REDACTED:github-token]"');
  });
});

describe('idempotence', () => {
  const inputs = [
    `export GITHUB_TOKEN=${GHP}`,
    `AWS_SECRET_ACCESS_KEY=${alnum(40)} and ${AWS_ID}`,
    `https://u:${'pw'}x@h/p?password=${alnum(24)}`,
    `Authorization: Bearer ${alnum(40)}`,
    `${PRIVATE_KEY} ${JWT}`,
    `token=${alnum(20)}${GHP}`,
    `x${alnum(30)}[REDACTED:github-token]${alnum(30)}`,
    `password: "${SK_GENERIC}" ${hex(32)}`,
    // Found by fuzzing: a URL value narrowed to its credentials, a match hidden inside a rejected
    // one, and a pattern that only matches once the secret before it became a placeholder.
    `password=https://u:${'p'}w@h/x`,
    `'abctoken: postgres://a:${'b'}1@db/x?password=token: `,
    `${AWS_ID}--token abcx:'`,
  ];
  it.each(inputs)('redacting twice changes nothing: %s', (input) => {
    const once = redactor.redactText(input);
    expect(once.findings.length).toBeGreaterThan(0);
    const twice = redactor.redactText(once.text);
    expect(twice).toEqual({ text: once.text, findings: [] });
  });

  it('keeps placeholders written by hand or by a previous run', () => {
    const text = 'password=[REDACTED:secret-assignment] https://[REDACTED:url-credentials]@host/x';
    expect(redactor.redactText(text)).toEqual({ text, findings: [] });
  });
});

describe('redactDeep', () => {
  it('redacts nested strings, leaves keys and other values, and counts per rule', () => {
    const when = new Date(0);
    const input = {
      prompt: `use ${GHP} please`,
      [`key-${GHP.slice(0, 6)}`]: 1,
      tools: [
        { name: 'Bash', input: { command: `curl -H "Authorization: Bearer ${alnum(32)}" https://u:${'pw'}1@h/` } },
        { name: 'Write', input: { content: PRIVATE_KEY, lines: 3, binary: false, mode: null } },
      ],
      warnings: [`leaked ${GHP}`, undefined],
      when,
    };
    const { value, report } = redactDeep(input, redactor);
    expect(value).toEqual({
      prompt: 'use [REDACTED:github-token] please',
      [`key-${GHP.slice(0, 6)}`]: 1,
      tools: [
        { name: 'Bash', input: { command: 'curl -H "Authorization: Bearer [REDACTED:bearer-token]" https://[REDACTED:url-credentials]@h/' } },
        { name: 'Write', input: { content: '[REDACTED:private-key]', lines: 3, binary: false, mode: null } },
      ],
      warnings: ['leaked [REDACTED:github-token]', undefined],
      when,
    });
    expect(value.when).toBe(when);
    expect(report).toEqual({
      total: 5,
      rules: [
        { ruleId: 'bearer-token', count: 1 },
        { ruleId: 'github-token', count: 2 },
        { ruleId: 'private-key', count: 1 },
        { ruleId: 'url-credentials', count: 1 },
      ],
    });
    expect(input.prompt).toBe(`use ${GHP} please`);
  });

  it('returns non-string values untouched and an empty report', () => {
    for (const v of [42, true, null, undefined, 0n]) {
      expect(redactDeep(v, redactor)).toEqual({ value: v, report: { total: 0, rules: [] } });
    }
  });

  it('copies cyclic structures without looping', () => {
    const node: { text: string; self?: unknown } = { text: `t ${GHP}` };
    node.self = node;
    const { value } = redactDeep(node, redactor);
    expect(value.text).toBe('t [REDACTED:github-token]');
    expect(value.self).toBe(value);
  });
});

describe('extra patterns', () => {
  it('redacts with a configured id, and only the named group `secret` when there is one', async () => {
    const custom = await createRedactor({
      extraPatterns: [
        { id: 'acme-key', pattern: 'acme_[a-z0-9]{12}' },
        { id: 'acme-pin', pattern: 'PIN (?<secret>\\d{4,})' },
      ],
    });
    expect(custom.redactText('key acme_0a1b2c3d4e5f and PIN 123456').text).toBe('key [REDACTED:acme-key] and PIN [REDACTED:acme-pin]');
    expect(custom.redactText('key [REDACTED:acme-key] and PIN [REDACTED:acme-pin]').findings).toEqual([]);
  });

  it.each([
    [[{ id: 'broken', pattern: '(unclosed' }], /extraPatterns\[0\]\.pattern \(broken\): invalid regular expression/],
    [[{ id: 'ok', pattern: 'x' }, { id: 'Bad Id', pattern: 'y' }], /extraPatterns\[1\]\.id: "Bad Id" must be/],
    [[{ id: 'empty', pattern: '' }], /extraPatterns\[0\]\.pattern: must be a non-empty/],
  ])('rejects invalid config with a clear error: %j', async (extraPatterns, message) => {
    const attempt = createRedactor({ extraPatterns });
    await expect(attempt).rejects.toBeInstanceOf(TraceError);
    await expect(attempt).rejects.toMatchObject({ code: 'BAD_CONFIG', message });
  });
});

describe('failures and odd input', () => {
  it('turns a scanner failure into a TraceError, so nothing is uploaded', async () => {
    const broken: SecretScanner = {
      ruleIds: [],
      scan: () => {
        throw new Error('engine exploded');
      },
    };
    const r = await createRedactor({ scanner: broken });
    expect(() => r.redactText('anything at all')).toThrow(TraceError);
    expect(() => r.redactText('anything at all')).toThrow(/Secret scanning failed.*engine exploded/);
    expect(() => redactDeep({ a: ['x y'] }, r)).toThrow(TraceError);
  });

  it.each([
    ['empty', ''],
    ['lone surrogates', '\ud800abc\udfff'],
    ['control characters', '\u0000\u0001\u001b[31m'],
    ['only separators', '-----BEGIN -----END ://@:@'],
    ['a BEGIN line with no key', '-----BEGIN PRIVATE KEY-----'],
  ])('never throws on %s', (_name, input) => {
    expect(() => redactor.redactText(input)).not.toThrow();
  });

  it('stays linear on large, repetitive input', () => {
    const big = `${'-----BEGIN PRIVATE KEY-----'.repeat(200)}${'https://a:'.repeat(2000)}${'password='.repeat(2000)}${'a'.repeat(200_000)}`;
    const started = performance.now();
    redactor.redactText(big);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
