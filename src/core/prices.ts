// Built-in model price table and cost estimation. Prices change often: the table is dated and every
// figure it yields is an estimate.

/** The day the table below was last checked against its sources. */
export const PRICES_AS_OF = '2026-11-21';

export const PRICE_SOURCES = {
  anthropic:
    'https://platform.claude.com/docs/en/about-claude/pricing (2026-08-21) and model launch pages (Sep-Oct 2026)',
  openai: 'https://developers.openai.com/api/docs/pricing and model pages; cross-checked with models.dev (2026-08-21)',
  google: 'https://ai.google.dev/gemini-api/docs/pricing (paid tier); models.dev snapshot (2026-08-21)',
} as const;

export type ModelProvider = keyof typeof PRICE_SOURCES;

/** USD per 1M tokens. An absent cache price means the model does not sell that kind of cache. */
export interface RateCard {
  input: number;
  output: number;
  /** Short-TTL cache write (Anthropic 5 min; OpenAI gpt-6.2-sol 30 min). */
  cacheWrite5m?: number;
  /** Long-TTL cache write (Anthropic 1 h; OpenAI gpt-6.2-sol 12 h). */
  cacheWrite1h?: number;
  cacheRead?: number;
}

export interface ModelPrice extends RateCard {
  provider: ModelProvider;
  /** Rates for a prompt (all input-side tokens of one request) larger than `promptTokensAbove`. */
  longContext?: { promptTokensAbove: number } & RateCard;
  /** Rates of fast mode (`usage.speed: "fast"`), over the whole context window; absent: its price is unknown. */
  fast?: RateCard;
  note?: string;
}

/**
 * Token counts of one model response, in Anthropic's terms: `input` excludes cache reads and writes.
 * Adapters for OpenAI and Gemini pass `input - cached` as `input` and the cached part as `cacheRead`;
 * `output` includes reasoning / thinking tokens.
 */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

export type CostEstimate = { usd: number; warning?: string } | { usd: undefined; warning: string };

const anthropic = (input: number, output: number, w5m: number, w1h: number | undefined, read: number): ModelPrice => ({
  provider: 'anthropic',
  input,
  output,
  cacheWrite5m: w5m,
  ...(w1h === undefined ? {} : { cacheWrite1h: w1h }),
  cacheRead: read,
});

const OPUS_45 = anthropic(5, 25, 6.25, 10, 0.5);
// Fast mode on Opus 5 and 4.8 is 10/50; cache writes and reads keep their multipliers on top (1.25x/2x/0.1x).
const OPUS_45_FAST: ModelPrice = { ...OPUS_45, fast: { input: 10, output: 50, cacheWrite5m: 12.5, cacheWrite1h: 20, cacheRead: 1 } };
const OPUS_4 = anthropic(15, 75, 18.75, 30, 1.5);
const SONNET_5 = anthropic(2, 10, 2.5, 4, 0.2);
const SONNET_46 = anthropic(3, 15, 3.75, 6, 0.3);
// Sonnet 4.5 and 4 charged a premium above 200K prompt tokens; cache rates follow the 1.25x/2x/0.1x rule.
const SONNET_45: ModelPrice = {
  ...SONNET_46,
  longContext: { promptTokensAbove: 200_000, input: 6, output: 22.5, cacheWrite5m: 7.5, cacheWrite1h: 12, cacheRead: 0.6 },
};

const openai = (input: number, output: number, read: number | undefined, write?: number, note?: string): ModelPrice => ({
  provider: 'openai',
  input,
  output,
  // Cache writes are free on most OpenAI models; only models that list a write price bill them.
  cacheWrite5m: write ?? 0,
  cacheWrite1h: write ?? 0,
  ...(read === undefined ? {} : { cacheRead: read }),
  ...(note === undefined ? {} : { note }),
});
// 1M-window models bill prompts over 272K at 2x input and 1.5x output.
const withOpenAiLongContext = (p: ModelPrice): ModelPrice => ({
  ...p,
  longContext: {
    promptTokensAbove: 272_000,
    input: p.input * 2,
    output: p.output * 1.5,
    cacheWrite5m: (p.cacheWrite5m ?? 0) * 2,
    cacheWrite1h: (p.cacheWrite1h ?? 0) * 2,
    ...(p.cacheRead === undefined ? {} : { cacheRead: p.cacheRead * 2 }),
  },
});

const gemini = (input: number, output: number, read: number, long?: RateCard): ModelPrice => ({
  provider: 'google',
  input,
  output,
  // Context caching bills storage per hour, not writes; there is no per-token write price.
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  cacheRead: read,
  ...(long === undefined ? {} : { longContext: { promptTokensAbove: 200_000, ...long, cacheWrite5m: 0, cacheWrite1h: 0 } }),
});
const GEMINI_3_PRO = gemini(2, 12, 0.2, { input: 4, output: 18, cacheRead: 0.4 });

/** Keys are normalized model ids (see `normalizeModelId`). */
export const PRICES: Readonly<Record<string, ModelPrice>> = {
  // Anthropic
  'claude-fable-5': anthropic(10, 50, 12.5, 20, 1),
  'claude-mythos-5': anthropic(10, 50, 12.5, 20, 1),
  'claude-fable-5-1': anthropic(10, 50, 12.5, undefined, 0.25),
  'claude-opus-5-5': anthropic(4, 20, 5, 8, 0.2),
  'claude-opus-5': OPUS_45_FAST,
  'claude-opus-4-8': OPUS_45_FAST,
  'claude-opus-4-7': OPUS_45,
  'claude-opus-4-6': OPUS_45,
  'claude-opus-4-5': OPUS_45,
  'claude-opus-4-1': OPUS_4,
  'claude-opus-4': OPUS_4,
  'claude-sonnet-5-5': SONNET_5,
  'claude-sonnet-5': SONNET_5,
  'claude-sonnet-4-6': SONNET_46,
  'claude-sonnet-4-5': SONNET_45,
  'claude-sonnet-4': SONNET_45,
  'claude-haiku-5-5': {
    ...anthropic(0.1, 0.5, 0.125, undefined, 0.01),
    longContext: { promptTokensAbove: 100_000, input: 0.5, output: 2.5, cacheWrite5m: 0.625, cacheRead: 0.05 },
  },
  'claude-haiku-4-5': anthropic(1, 5, 1.25, 2, 0.1),
  'claude-3-5-haiku': anthropic(0.8, 4, 1, 1.6, 0.08),
  'claude-haiku-3-5': anthropic(0.8, 4, 1, 1.6, 0.08),

  // OpenAI
  'gpt-5': openai(1.25, 10, 0.125),
  'gpt-5-codex': openai(1.25, 10, 0.125, undefined, 'matches gpt-5 per the OpenAI pricing page, late 2025; verify'),
  'gpt-5.1': openai(1.25, 10, 0.125),
  'gpt-5.1-codex': openai(1.25, 10, 0.125),
  'gpt-5.1-codex-max': openai(1.25, 10, 0.125),
  'gpt-5-mini': openai(0.25, 2, 0.025),
  'gpt-5.1-codex-mini': openai(0.25, 2, 0.025),
  'gpt-5-nano': openai(0.05, 0.4, 0.005),
  'gpt-5-pro': openai(15, 120, undefined),
  'gpt-5.2': openai(1.75, 14, 0.175),
  'gpt-5.2-codex': openai(1.75, 14, 0.175),
  'gpt-5.3-codex': openai(1.75, 14, 0.175),
  'gpt-5.3-codex-spark': openai(1.75, 14, 0.175),
  'gpt-5.2-pro': openai(21, 168, undefined),
  'gpt-5.4': withOpenAiLongContext(openai(2.5, 15, 0.25)),
  'gpt-5.4-mini': openai(0.75, 4.5, 0.075),
  'gpt-5.4-nano': openai(0.2, 1.25, 0.02),
  'gpt-5.4-pro': withOpenAiLongContext(openai(30, 180, undefined)),
  'gpt-5.5': withOpenAiLongContext(openai(5, 30, 0.5)),
  'gpt-5.5-pro': withOpenAiLongContext(openai(30, 180, undefined)),
  'gpt-5.6-sol': openai(4, 20, 0.4, 6.25, 'promo price in effect on PRICES_AS_OF (list 5/30); write price from the list row'),
  'gpt-5.6-terra': openai(2, 12, 0.2, 2.5),
  'gpt-5.6-luna': openai(0.2, 1.2, 0.02, 0.25),
  'gpt-6-astra': openai(10, 50, 1),
  'gpt-6-sol': openai(2, 10, 0.2, 2.5),
  'gpt-6.1-sol': openai(2, 10, 0.1, 2.5),
  'gpt-6.2-sol': { ...openai(2, 10, 0.1, 2.5), cacheWrite1h: 5, note: 'cacheWrite5m is the 30-min TTL, cacheWrite1h the 12-h TTL' },
  'gpt-6.1-terra': openai(1, 5, 0.05, 1.25),

  // Google
  'gemini-2.5-pro': gemini(1.25, 10, 0.125, { input: 2.5, output: 15, cacheRead: 0.25 }),
  'gemini-2.5-flash': gemini(0.3, 2.5, 0.03),
  'gemini-2.5-flash-lite': gemini(0.1, 0.4, 0.01),
  'gemini-3-pro-preview': GEMINI_3_PRO,
  'gemini-3.1-pro-preview': GEMINI_3_PRO,
  'gemini-3-flash-preview': gemini(0.5, 3, 0.05),
  'gemini-3.1-flash-lite': gemini(0.25, 1.5, 0.025),
  'gemini-3.1-flash-lite-preview': gemini(0.25, 1.5, 0.025),
  'gemini-3.5-flash': gemini(1.5, 9, 0.15),
  'gemini-flash-latest': gemini(1.5, 9, 0.15),
  'gemini-3.5-flash-lite': gemini(0.3, 2.5, 0.03),
  'gemini-3.6-flash': gemini(1.5, 7.5, 0.15),
  'gemini-3.7-flash': gemini(0.75, 3.75, 0.075),
};

const PREFIXES = [
  /^(?:[a-z]{2,6}\.)?anthropic\./, // Bedrock: anthropic., us.anthropic., global.anthropic., eu.anthropic., ...
  /^(?:anthropic|openai|google|gemini|vertex_ai|bedrock)\//,
  /^models\//,
];

/**
 * Reduce a model id as agents and clouds spell it to the table's spelling: lower case, no provider
 * prefix, no Bedrock `-v1:0`, no Vertex `@date`, no `-YYYYMMDD` / `-YYYY-MM-DD`, no `[1m]` context tag.
 */
export function normalizeModelId(model: string): string {
  let id = withoutContextTag(model).toLowerCase();
  for (const prefix of PREFIXES) id = id.replace(prefix, '');
  id = id.replace(/@[\w.-]*$/, '');
  id = id.replace(/-v\d+(?::\d+)?$/, '');
  id = id.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  id = id.replace(/-\d{8}$/, '');
  return id;
}

/**
 * A model id as reported, without the context-window tag Claude Code adds to its SessionStart `model`
 * (`claude-opus-4-7[1m]`): the tag is a setting of the session, not a model, and the transcript never has it.
 */
export function withoutContextTag(model: string): string {
  return model.trim().replace(/\s*\[[^\]]*\]$/, '');
}

export interface PriceMatch {
  /** The table key that matched. */
  key: string;
  price: ModelPrice;
  /** True when only a prefix of the id matched (e.g. a dated preview of a listed model). */
  byPrefix: boolean;
}

/** Exact match on the normalized id, else the longest table key that is a prefix ending on a `-` boundary. */
export function lookupPrice(model: string): PriceMatch | undefined {
  const id = normalizeModelId(model);
  const exact = PRICES[id];
  if (exact !== undefined) return { key: id, price: exact, byPrefix: false };
  let best: string | undefined;
  for (const key of Object.keys(PRICES)) {
    if (id.startsWith(`${key}-`) && (best === undefined || key.length > best.length)) best = key;
  }
  if (best === undefined) return undefined;
  const price = PRICES[best];
  return price === undefined ? undefined : { key: best, price, byPrefix: true };
}

/** Provider of a model: from the table, else from the well-known id families. */
export function modelProvider(model: string): ModelProvider | undefined {
  const match = lookupPrice(model);
  if (match !== undefined) return match.price.provider;
  const id = normalizeModelId(model);
  if (id.startsWith('claude')) return 'anthropic';
  if (/^(?:gpt-|o\d|codex)/.test(id)) return 'openai';
  if (id.startsWith('gemini')) return 'google';
  return undefined;
}

/**
 * Estimated USD cost of one model response. Sum responses, not usage totals, so that long-context
 * tiers apply per prompt. An unknown model, or fast mode on a model without a fast price, yields no
 * figure and a warning, never a guess.
 */
export function estimateCost(model: string, usage: TokenUsage, options: { fast?: boolean } = {}): CostEstimate {
  const match = lookupPrice(model);
  if (match === undefined) {
    return { usd: undefined, warning: `no price for model "${model}" in the built-in table (prices as of ${PRICES_AS_OF}); cost not estimated` };
  }
  const { price } = match;
  if (options.fast === true && price.fast === undefined) {
    return { usd: undefined, warning: `no fast-mode price for model "${model}" in the built-in table (prices as of ${PRICES_AS_OF}); cost of its fast-mode responses not estimated` };
  }
  const promptTokens = usage.input + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h;
  const rates: RateCard =
    options.fast === true && price.fast !== undefined
      ? price.fast
      : price.longContext !== undefined && promptTokens > price.longContext.promptTokensAbove
        ? price.longContext
        : price;
  const notes: string[] = [];
  if (match.byPrefix) notes.push(`model "${model}" priced as "${match.key}" (prefix match)`);

  // A model without a cache-read price bills cached tokens as plain input.
  const read = rates.cacheRead ?? rates.input;
  const w5m = rates.cacheWrite5m ?? rates.input * 1.25;
  let w1h = rates.cacheWrite1h;
  if (w1h === undefined) {
    w1h = rates.input * 2;
    if (usage.cacheWrite1h > 0) notes.push(`no 1h cache-write price for "${match.key}"; used 2x input`);
  }
  const usd =
    (usage.input * rates.input +
      usage.output * rates.output +
      usage.cacheRead * read +
      usage.cacheWrite5m * w5m +
      usage.cacheWrite1h * w1h) /
    1e6;
  return notes.length === 0 ? { usd } : { usd, warning: notes.join('; ') };
}

/** Round a USD figure to micro-dollars, to keep float noise out of attestations. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
