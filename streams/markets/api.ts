/**
 * The markets routes' parameters and answers as pure functions: every bound is tested without
 * Cassandra.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { DAY_MS, MINUTE_MS, bucketsBetween } from '../../common/time.ts';
import type { MarketsTables } from './schema.ts';
import { excerpt, queryTexts, timeRange } from '../../batch/params.ts';

export const MARKETS_LIMITS = {
  /** A symbol's bars: the last 30 minutes unless asked, at most a day (86,400 bars at one a second). */
  defaultBarsRangeMs: 30 * MINUTE_MS,
  maxBarsRangeMs: DAY_MS,
} as const;

export const BARS_QUERY = ['from', 'to'] as const;
export const SYMBOLS_QUERY = [] as const;

export const SYMBOL_PARAM = /^[A-Z0-9][A-Z0-9.\-^=]{0,15}$/;

/** The symbol list takes no parameters: any given is refused by name. */
export function parseSymbolsParams(query: Record<string, unknown>): Result<Record<string, never>> {
  const texts = queryTexts(query, SYMBOLS_QUERY);
  return texts.ok ? ok({}) : texts;
}

export interface BarsParams {
  symbol: string;
  from: Date;
  to: Date;
}

export function parseBarsParams(
  symbol: unknown,
  query: Record<string, unknown>,
  now = new Date(),
): Result<BarsParams> {
  if (typeof symbol !== 'string' || !SYMBOL_PARAM.test(symbol)) {
    return fail(
      `symbol: a ticker symbol is 1 to 16 characters of A-Z 0-9 . - ^ =, starting with a letter or digit, got '${excerpt(String(symbol))}'`,
    );
  }
  const texts = queryTexts(query, BARS_QUERY);
  if (!texts.ok) return texts;
  const range = timeRange(
    texts.value,
    { defaultMs: MARKETS_LIMITS.defaultBarsRangeMs, maxMs: MARKETS_LIMITS.maxBarsRangeMs },
    now,
  );
  if (!range.ok) return range;
  return ok({ symbol, ...range.value });
}

/** The day partitions of bars holding [from, to). */
export function barDays(from: Date, to: Date): Date[] {
  return bucketsBetween(from.getTime(), to.getTime(), DAY_MS).map((day) => new Date(day));
}

export const BAR_COLUMNS = [
  'bar_start',
  'open',
  'high',
  'low',
  'close',
  'adj_close',
  'volume',
  'bollinger_middle',
  'bollinger_upper',
  'bollinger_lower',
  'aroon_up',
  'aroon_down',
  'aroon_oscillator',
] as const;

type StoredBar = Pick<MarketsTables['bars'], (typeof BAR_COLUMNS)[number]>;

/** One bar as the API answers it: its time as ISO-8601, every column, null where not written yet. */
export type BarAnswer = { bar_start: string } & {
  [C in Exclude<(typeof BAR_COLUMNS)[number], 'bar_start'>]: number | null;
};

/** Rows oldest first, each column null where its pipeline has not written it (or its window is not full). */
export function barsAnswer(rows: StoredBar[]): BarAnswer[] {
  return [...rows]
    .sort((a, b) => a.bar_start.getTime() - b.bar_start.getTime())
    .map((row) => ({
      bar_start: row.bar_start.toISOString(),
      open: row.open ?? null,
      high: row.high ?? null,
      low: row.low ?? null,
      close: row.close ?? null,
      adj_close: row.adj_close ?? null,
      volume: row.volume ?? null,
      bollinger_middle: row.bollinger_middle ?? null,
      bollinger_upper: row.bollinger_upper ?? null,
      bollinger_lower: row.bollinger_lower ?? null,
      aroon_up: row.aroon_up ?? null,
      aroon_down: row.aroon_down ?? null,
      aroon_oscillator: row.aroon_oscillator ?? null,
    }));
}
