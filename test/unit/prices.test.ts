import { describe, expect, it } from 'vitest';
import {
  PRICES,
  PRICES_AS_OF,
  estimateCost,
  lookupPrice,
  modelProvider,
  normalizeModelId,
  withoutContextTag,
  type TokenUsage,
} from '../../src/core/prices.js';

const usage = (u: Partial<TokenUsage>): TokenUsage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, ...u });

describe('normalizeModelId', () => {
  it.each([
    ['claude-opus-4-5-20251101', 'claude-opus-4-5'],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['global.anthropic.claude-opus-4-8', 'claude-opus-4-8'],
    ['anthropic/claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['claude-opus-4-5@20251101', 'claude-opus-4-5'],
    ['claude-opus-4-8[1m]', 'claude-opus-4-8'],
    ['models/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['openai/gpt-5.4-mini-2026-03-17', 'gpt-5.4-mini'],
    ['GPT-5.5', 'gpt-5.5'],
  ])('%s -> %s', (raw, normalized) => {
    expect(normalizeModelId(raw)).toBe(normalized);
  });
});

describe('withoutContextTag', () => {
  it.each([
    ['claude-opus-4-7[1m]', 'claude-opus-4-7'],
    ['claude-opus-4-7 [1m]', 'claude-opus-4-7'],
    ['Claude-Opus-4-7', 'Claude-Opus-4-7'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5-20250929'],
  ])('%s -> %s (spelling kept, tag dropped)', (raw, reported) => {
    expect(withoutContextTag(raw)).toBe(reported);
  });
});

describe('lookupPrice', () => {
  it('matches exactly after normalization', () => {
    expect(lookupPrice('claude-sonnet-4-5-20250929')).toMatchObject({ key: 'claude-sonnet-4-5', byPrefix: false });
  });

  it('takes the longest prefix on a dash boundary', () => {
    expect(lookupPrice('gemini-2.5-flash-lite-preview-06-17')).toMatchObject({ key: 'gemini-2.5-flash-lite', byPrefix: true });
    expect(lookupPrice('gpt-5.4-mini-high')).toMatchObject({ key: 'gpt-5.4-mini', byPrefix: true });
  });

  it('does not cross a version dot', () => {
    expect(lookupPrice('gpt-5.7')).toBeUndefined();
    expect(lookupPrice('gemini-2.5-proto')).toBeUndefined();
  });

  it('every entry has a provider and non-negative rates', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [key, price] of Object.entries(PRICES)) {
      expect(normalizeModelId(key), key).toBe(key);
      expect(price.input, key).toBeGreaterThanOrEqual(0);
      expect(price.output, key).toBeGreaterThan(0);
    }
  });
});

describe('modelProvider', () => {
  it.each([
    ['claude-opus-4-8', 'anthropic'],
    ['claude-3-7-sonnet-20250219', 'anthropic'],
    ['gpt-6-sol', 'openai'],
    ['o3', 'openai'],
    ['gemini-3.7-flash', 'google'],
    ['llama-4', undefined],
  ])('%s -> %s', (model, provider) => {
    expect(modelProvider(model)).toBe(provider);
  });
});

describe('estimateCost', () => {
  it('prices an Anthropic response with both cache TTLs', () => {
    const cost = estimateCost(
      'claude-opus-4-8',
      usage({ input: 1000, output: 2000, cacheRead: 100_000, cacheWrite5m: 10_000, cacheWrite1h: 5000 }),
    );
    // 1000*5 + 2000*25 + 100000*0.5 + 10000*6.25 + 5000*10 = 217500 micro-dollars
    expect(cost.usd).toBeCloseTo(0.2175, 10);
    expect(cost.warning).toBeUndefined();
  });

  it('applies the Sonnet 4.5 long-context tier per prompt', () => {
    expect(estimateCost('claude-sonnet-4-5', usage({ input: 150_000, output: 1000 })).usd).toBeCloseTo(0.465, 10);
    expect(estimateCost('claude-sonnet-4-5', usage({ input: 250_000, output: 1000 })).usd).toBeCloseTo(1.5225, 10);
    // Sonnet 4.6 bills the whole window at the standard price.
    expect(estimateCost('claude-sonnet-4-6', usage({ input: 250_000, output: 1000 })).usd).toBeCloseTo(0.765, 10);
  });

  it('counts cache tokens toward the prompt size of a tier', () => {
    // Haiku 5.5: 60K uncached + 60K cache read = 120K prompt > 100K.
    const cost = estimateCost('claude-haiku-5-5', usage({ input: 60_000, cacheRead: 60_000, output: 1000 }));
    expect(cost.usd).toBeCloseTo((60_000 * 0.5 + 60_000 * 0.05 + 1000 * 2.5) / 1e6, 12);
  });

  it('applies the OpenAI >272K tier and cached-input price', () => {
    const cost = estimateCost('gpt-5.4', usage({ input: 100_000, cacheRead: 200_000, output: 1000 }));
    expect(cost.usd).toBeCloseTo(0.6225, 10);
    expect(estimateCost('gpt-5.4', usage({ input: 100_000, cacheRead: 100_000, output: 1000 })).usd).toBeCloseTo(0.29, 10);
  });

  it('bills cached tokens as input for a model without a cache price', () => {
    expect(estimateCost('gpt-5-pro', usage({ cacheRead: 1000 })).usd).toBeCloseTo(0.015, 10);
  });

  it('falls back to 2x input for a 1h write the model does not list, and says so', () => {
    const cost = estimateCost('claude-fable-5-1', usage({ cacheWrite1h: 1000 }));
    expect(cost.usd).toBeCloseTo(0.02, 10);
    expect(cost.warning).toMatch(/1h cache-write/);
  });

  it('flags a prefix match', () => {
    const cost = estimateCost('claude-opus-4-9', usage({ output: 1_000_000 }));
    expect(cost.usd).toBe(75);
    expect(cost.warning).toMatch(/priced as "claude-opus-4"/);
  });

  it('gives no figure for an unknown model', () => {
    const cost = estimateCost('llama-4-maverick', usage({ input: 10, output: 10 }));
    expect(cost.usd).toBeUndefined();
    expect(cost.warning).toContain('llama-4-maverick');
    expect(cost.warning).toContain(PRICES_AS_OF);
  });

  it('prices Gemini thinking as output and cached input at the read rate', () => {
    const cost = estimateCost('gemini-2.5-flash', usage({ input: 9000, cacheRead: 1000, output: 500 }));
    expect(cost.usd).toBeCloseTo((9000 * 0.3 + 1000 * 0.03 + 500 * 2.5) / 1e6, 12);
  });

  it('prices fast mode at the fast card, the whole window, cache multipliers on top', () => {
    const u = usage({ input: 1000, output: 2000, cacheRead: 100_000, cacheWrite5m: 10_000, cacheWrite1h: 5000 });
    // 1000*10 + 2000*50 + 100000*1 + 10000*12.5 + 5000*20 = 435000 micro-dollars: twice the standard 0.2175.
    expect(estimateCost('claude-opus-4-8', u, { fast: true }).usd).toBeCloseTo(0.435, 10);
    expect(estimateCost('claude-opus-5', u, { fast: true }).usd).toBeCloseTo(0.435, 10);
    expect(estimateCost('claude-opus-4-8', u, { fast: false }).usd).toBeCloseTo(0.2175, 10);
  });

  it('gives no figure for fast mode on a model without a fast price, and says so', () => {
    const cost = estimateCost('claude-opus-4-6', usage({ output: 1000 }), { fast: true });
    expect(cost.usd).toBeUndefined();
    expect(cost.warning).toMatch(/no fast-mode price for model "claude-opus-4-6"/);
  });
});
