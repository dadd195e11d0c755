/**
 * Adapter around secretlint's recommended preset.
 *
 * `lintSource` is asynchronous and rebuilds every rule on each call, but redaction must be
 * synchronous (it walks evidence objects) and fast. So the preset's rule creators are driven
 * directly through secretlint's public rule API (`create(context, options).file(source)`): each
 * rule is created once, and its `file` handler is called per text. At load the result is checked
 * against `lintSource` itself on a canary text, so a change in the engine cannot silently weaken
 * redaction.
 *
 * Deliberate differences from `lintSource`:
 * - the `filter-comments` rule is not run: the text is untrusted, and a `secretlint-disable`
 *   comment inside a transcript must not switch redaction off;
 * - the AWS rule's access-key-ID scan is on (`enableIDScanRule`);
 * - a report whose range does not cover the secret it names (the AWS secret-key rule reports the
 *   label's offset with the key's length) is moved onto the secret.
 */
import type * as PresetExports from '@secretlint/secretlint-rule-preset-recommend';
import type { RedactionFinding, SecretScanner } from '../core/redact.js';

type PresetModule = typeof PresetExports;
type RuleCreator = PresetModule['rules'][number];
type RuleContext = Parameters<RuleCreator['create']>[0];
type RuleHandler = ReturnType<RuleCreator['create']>;
type SourceCode = Parameters<NonNullable<RuleHandler['file']>>[0];
type ReportDescriptor = Parameters<RuleContext['report']>[0];

const PRESET_RULE_PREFIX = '@secretlint/secretlint-rule-';

/** Our rule id for each secretlint message id; anything else becomes `secretlint-<rule>`. */
const RULE_IDS: Readonly<Record<string, string>> = {
  AWSAccessKeyID: 'aws-access-key',
  AWSSecretAccessKey: 'aws-secret-access-key',
  AWSAccountID: 'aws-account-id',
  PrivateKey: 'private-key',
  PrivateKeyJSON: 'private-key',
  PrivateKeyP12: 'private-key',
  PackageJSON_xOauthToken: 'github-token',
  Npmrc_authToken: 'npm-token',
  NPM_ACCESS_TOKEN: 'npm-token',
  SLACK_TOKEN: 'slack-token',
  IncomingWebhook: 'slack-webhook',
  BasicAuth: 'url-credentials',
  OPENAI_TOKEN: 'openai-api-key',
  ANTHROPIC_API_KEY: 'anthropic-api-key',
  LINEAR_API_TOKEN: 'linear-api-key',
  SENDGRID_KEY: 'sendgrid-api-key',
  SHOPIFY_KEY: 'shopify-token',
  GITHUB_TOKEN: 'github-token',
  OPS_TOKEN: 'onepassword-token',
  MongoDBConnection: 'database-credentials',
  MySQLConnection: 'database-credentials',
  PostgreSQLConnection: 'database-credentials',
};

const RULE_OPTIONS: Readonly<Record<string, object>> = {
  [`${PRESET_RULE_PREFIX}aws`]: { enableIDScanRule: true },
};

interface RawReport {
  secretlintRuleId: string;
  messageId: string;
  start: number;
  end: number;
  data: unknown;
}

export interface SecretlintScanner extends SecretScanner {
  /** The secretlint rules that run, by their secretlint id. */
  readonly secretlintRules: readonly string[];
}

/** Load the preset, create its rules once, and check them against `lintSource` on a canary. */
export async function loadSecretlintScanner(): Promise<SecretlintScanner> {
  const preset = await import('@secretlint/secretlint-rule-preset-recommend');
  const scanRaw = createRawScanner(preset.rules);
  await checkAgainstEngine(preset, scanRaw.scan);
  const ruleIds = new Set<string>(Object.values(RULE_IDS));
  for (const id of scanRaw.rules) ruleIds.add(fallbackRuleId(id));
  return {
    secretlintRules: scanRaw.rules,
    ruleIds: [...ruleIds].sort(),
    scan(text: string): RedactionFinding[] {
      return scanRaw.scan(text).map((report) => toFinding(text, report));
    },
  };
}

function createRawScanner(rules: readonly RuleCreator[]): { rules: string[]; scan: (text: string) => RawReport[] } {
  // The sink is set for the duration of one synchronous scan; the rule contexts report into it.
  let sink: RawReport[] | undefined;
  const handlers: { id: string; file: NonNullable<RuleHandler['file']> }[] = [];
  for (const rule of rules) {
    const id = rule.meta.id;
    if (rule.meta.type !== 'scanner') continue;
    if (!rule.meta.supportedContentTypes.includes('text') && !rule.meta.supportedContentTypes.includes('all')) continue;
    const context: RuleContext = {
      sharedOptions: {},
      createTranslator: ((_messages: unknown) =>
        (messageId: string, data?: unknown) => ({ message: messageId, messageId, data })) as unknown as RuleContext['createTranslator'],
      report(descriptor: ReportDescriptor) {
        if (sink === undefined) throw new Error(`secretlint rule ${id} reported outside a scan`);
        const message = descriptor.message as { messageId?: unknown; data?: unknown };
        sink.push({
          secretlintRuleId: id,
          messageId: typeof message.messageId === 'string' ? message.messageId : '',
          start: descriptor.range[0],
          end: descriptor.range[1],
          data: message.data ?? descriptor.data,
        });
      },
      ignore() {
        // Comments in untrusted text never disable redaction.
      },
    };
    const handler = rule.create(context, RULE_OPTIONS[id] ?? {});
    if (handler.file !== undefined) handlers.push({ id, file: handler.file.bind(handler) });
  }
  return {
    rules: handlers.map((h) => h.id),
    scan(text: string): RawReport[] {
      const reports: RawReport[] = [];
      sink = reports;
      try {
        const source = createSourceCode(text);
        for (const { id, file } of handlers) {
          const result: unknown = file(source);
          if (isThenable(result)) {
            // Only file-based rules (a .p12 on disk) go asynchronous; text never should.
            result.then(undefined, () => undefined);
            throw new Error(`secretlint rule ${id} ran asynchronously on text`);
          }
        }
      } finally {
        sink = undefined;
      }
      return reports;
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function createSourceCode(content: string): SourceCode {
  let lineStarts: number[] | undefined;
  const starts = (): number[] => {
    if (lineStarts === undefined) {
      lineStarts = [0];
      for (let i = content.indexOf('\n'); i !== -1; i = content.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    }
    return lineStarts;
  };
  const indexToPosition = (index: number): { line: number; column: number } => {
    const ls = starts();
    let lo = 0;
    let hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((ls[mid] ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - (ls[lo] ?? 0) };
  };
  const positionToIndex = (pos: { line: number; column: number }): number => (starts()[pos.line - 1] ?? content.length) + pos.column;
  return {
    hasBOM: false,
    content,
    filePath: undefined,
    physicalFilePath: undefined,
    contentType: 'text',
    ext: '',
    getFilePath: () => undefined,
    getPhysicalFilePath: () => undefined,
    indexToPosition,
    positionToIndex,
    rangeToLocation: (range) => ({ start: indexToPosition(range[0]), end: indexToPosition(range[1]) }),
    locationToRange: (loc) => [positionToIndex(loc.start), positionToIndex(loc.end)],
  };
}

function fallbackRuleId(secretlintRuleId: string): string {
  const short = secretlintRuleId.startsWith(PRESET_RULE_PREFIX) ? secretlintRuleId.slice(PRESET_RULE_PREFIX.length) : secretlintRuleId;
  return `secretlint-${short.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

function toFinding(text: string, report: RawReport): RedactionFinding {
  const ruleId = RULE_IDS[report.messageId] ?? fallbackRuleId(report.secretlintRuleId);
  let start = Math.max(0, Math.min(report.start, text.length));
  let end = Math.max(start, Math.min(report.end, text.length));
  // If the reported secret is not inside the range, find it where the range says it begins.
  for (const value of dataStrings(report.data)) {
    if (value.length < 8 || text.slice(start, end).includes(value)) continue;
    const at = text.indexOf(value, start);
    if (at !== -1 && at <= end) {
      start = at;
      end = at + value.length;
      break;
    }
  }
  return { ruleId, start, end };
}

function dataStrings(data: unknown): string[] {
  if (typeof data !== 'object' || data === null) return [];
  return Object.values(data).filter((v): v is string => typeof v === 'string');
}

/** Fake secrets, assembled at run time so the source holds no secret-looking literal. */
function canaryText(): string {
  const alnum = (n: number): string => 'Q7tZk2Xv9mWp4RbN8cLd'.repeat(Math.ceil(n / 20)).slice(0, n);
  return [
    `aws id ${'AK' + 'IA'}${'Z7QX4MT2'}${'PL9W3N8K'}`,
    `AWS_SECRET_ACCESS_KEY=${alnum(40)}`,
    `gh ${'gh' + 'p_'}${alnum(36)}`,
    `slack ${'xo' + 'xb-'}1234567890-1234567890123-${alnum(24)}`,
    `npm ${'np' + 'm_'}${alnum(36)}`,
    `clone https://deploy:${alnum(12)}@git.example.com/x.git`,
    `db postgres://app:${alnum(12)}@db.example.com:5432/app`,
  ].join('\n');
}

async function checkAgainstEngine(preset: PresetModule, scan: (text: string) => RawReport[]): Promise<void> {
  const { lintSource } = await import('@secretlint/core');
  const content = canaryText();
  const result = await lintSource({
    source: { content, filePath: 'canary.txt', contentType: 'text' },
    options: {
      noPhysicFilePath: true,
      config: {
        rules: [
          {
            id: preset.creator.meta.id,
            rule: preset.creator,
            rules: Object.entries(RULE_OPTIONS).map(([id, options]) => ({ id, options })),
          },
        ],
      },
    },
  });
  const key = (r: { ruleId: string; start: number; end: number }): string => `${r.ruleId}@${r.start}-${r.end}`;
  const expected = [...new Set(result.messages.map((m) => key({ ruleId: m.ruleId, start: m.range[0], end: m.range[1] })))].sort();
  const actual = [...new Set(scan(content).map((r) => key({ ruleId: r.secretlintRuleId, start: r.start, end: r.end })))].sort();
  if (expected.length < 6 || expected.join('\n') !== actual.join('\n')) {
    throw new Error(
      `secretlint self-check failed: lintSource found [${expected.join(', ')}], the direct rule driver found [${actual.join(', ')}]`,
    );
  }
}
