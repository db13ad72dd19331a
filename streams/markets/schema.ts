import { fileURLToPath } from 'node:url';
/**
 * Markets (stream 5): OHLCV bars, the Bollinger band and Aroon definitions, and the typed rows of
 * the `markets` keyspace shared by the generator, the two topologies and the query API.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { SECOND_MS } from '../../common/time.ts';
import {
  all,
  decodeObject,
  DEFAULT_EVENT_TIME_RANGE,
  isoTime,
  number,
  text,
  type EventTimeRange,
} from '../../common/decode.ts';

export const MARKET_BARS_TOPIC = 'market.bars';
export const MARKETS_KEYSPACE = 'markets';

/** The two pipelines reading market.bars, each with its own consumer group. */
export const BOLLINGER_PIPELINE = 'bollinger';
export const AROON_PIPELINE = 'aroon';

/** The definitions; README "Markets" documents each. */
export const BOLLINGER = {
  /** Bars in the window: the bar and the 19 before it. */
  periods: 20,
  /** Band half-width in population standard deviations of the window's closes. */
  widths: 2,
  /** A close outside the bands this many bars in a row raises the alert. */
  alertBars: 3,
} as const;

export const AROON = {
  /** Bars since the extreme range over 0..periods: the window is the bar and the 25 before it. */
  periods: 25,
} as const;

/** How long after a bar's start, in stream time, a bar of the same partition may still arrive and be placed. */
export const DEFAULT_MARKETS_GRACE_MS = 30 * SECOND_MS;

/** One OHLCV bar of one symbol, as the generator sends it and the topologies read it. */
export interface Bar {
  symbol: string;
  /** Start of the bar, ISO 8601 with offset. */
  bar_start: string;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Close adjusted for splits and dividends. */
  adj_close: number;
  volume: number;
}

export const MAX_BAR_BYTES = 1024;
const SYMBOL = /^[A-Z0-9][A-Z0-9.\-^=]{0,15}$/;
const MAX_PRICE = 1e9;
const MAX_VOLUME = 1e15;

/**
 * A bar, checked field by field and for consistency (low <= open, close <= high; volume >= 0):
 * the reason names the first thing wrong, for a dead letter.
 */
export function parseBar(
  bytes: Buffer | string | null,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Result<Bar> {
  const decoded = decodeObject(bytes, MAX_BAR_BYTES);
  if (!decoded.ok) return decoded;
  const json = decoded.value;
  const fields = all({
    symbol: text(json, 'symbol', 16),
    bar_start: isoTime(json, 'bar_start', eventTimes),
    open: number(json, 'open', 0, MAX_PRICE),
    high: number(json, 'high', 0, MAX_PRICE),
    low: number(json, 'low', 0, MAX_PRICE),
    close: number(json, 'close', 0, MAX_PRICE),
    adj_close: number(json, 'adj_close', 0, MAX_PRICE),
    volume: number(json, 'volume', Number.NEGATIVE_INFINITY, MAX_VOLUME),
  });
  if (!fields.ok) return fields;
  const bar = { ...fields.value, bar_start: fields.value.bar_start.text };
  const inconsistency = inconsistencyOf(bar);
  if (inconsistency !== undefined) return fail(inconsistency);
  return ok(bar);
}

/** Why a bar cannot be a bar, or undefined when it is consistent. */
export function inconsistencyOf(bar: Bar): string | undefined {
  if (!SYMBOL.test(bar.symbol)) return `invalid field symbol: '${bar.symbol}' is not a ticker symbol`;
  if (bar.high < bar.low) return `inconsistent bar: high ${bar.high} < low ${bar.low}`;
  if (bar.volume < 0) return `inconsistent bar: negative volume ${bar.volume}`;
  for (const field of ['open', 'close'] as const) {
    if (bar[field] < bar.low || bar[field] > bar.high) {
      return `inconsistent bar: ${field} ${bar[field]} outside [low ${bar.low}, high ${bar.high}]`;
    }
  }
  return undefined;
}

export interface BollingerBands {
  middle: number;
  upper: number;
  lower: number;
}

export interface AroonValues {
  up: number;
  down: number;
  oscillator: number;
}

/** Where a close stands against its bands: above the upper band, below the lower one, or inside. */
export function bandSide(close: number, bands: BollingerBands): 'above' | 'below' | 'inside' {
  if (close > bands.upper) return 'above';
  if (close < bands.lower) return 'below';
  return 'inside';
}

/** The bars table's key: one partition per symbol per UTC day, bars in time order. */
export interface BarKey {
  symbol: string;
  day: Date;
  bar_start: Date;
}

export interface OhlcvColumns {
  open: number;
  high: number;
  low: number;
  close: number;
  adj_close: number;
  volume: number;
}

export interface BollingerColumns {
  bollinger_middle: number;
  bollinger_upper: number;
  bollinger_lower: number;
}

export interface AroonColumns {
  aroon_up: number;
  aroon_down: number;
  aroon_oscillator: number;
}

/**
 * Typed rows of streams/markets/schema.cql. Each pipeline upserts its part of a bar's
 * row: both write the OHLCV columns (the same values, so either alone gives the candles), each
 * its own indicator columns; a bar re-placed by an earlier bar arriving late gets its indicator
 * columns rewritten alone.
 */
export interface MarketsTables {
  bars: BarKey & Partial<OhlcvColumns & BollingerColumns & AroonColumns>;
  /** Every symbol seen: the dashboard's symbol list. */
  symbols: { symbol: string };
}

/** This stream's CQL schema: the processor applies it at start, Docker and npm start alike. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.cql', import.meta.url));
