/**
 * OHLCV bars for 40 listed symbols: one bar per symbol per interval, prices from a seeded random
 * walk whose volatility switches between regimes (so Bollinger bands widen and narrow) and which
 * now and then trends (so closes leave the bands and Aroon swings to its extremes).
 */
import type { Bar } from './schema.ts';
import { mulberry32 } from '../../generators/random.ts';

export interface Listing {
  symbol: string;
  /** The price the walk starts from (USD). */
  price: number;
  /** Typical shares traded in one bar. */
  volume: number;
  /** adj_close / close: below 1 for a stock that has paid dividends since. */
  adjustment: number;
}

export const LISTINGS: readonly Listing[] = [
  { symbol: 'AAPL', price: 189.5, volume: 52_000, adjustment: 0.995 },
  { symbol: 'MSFT', price: 415.2, volume: 21_000, adjustment: 0.993 },
  { symbol: 'AMZN', price: 178.3, volume: 38_000, adjustment: 1 },
  { symbol: 'GOOGL', price: 152.7, volume: 27_000, adjustment: 0.998 },
  { symbol: 'META', price: 487.1, volume: 15_000, adjustment: 0.997 },
  { symbol: 'NVDA', price: 875.4, volume: 44_000, adjustment: 0.999 },
  { symbol: 'TSLA', price: 176.8, volume: 95_000, adjustment: 1 },
  { symbol: 'BRK.B', price: 408.9, volume: 3_600, adjustment: 1 },
  { symbol: 'JPM', price: 195.6, volume: 9_000, adjustment: 0.978 },
  { symbol: 'V', price: 279.4, volume: 6_100, adjustment: 0.992 },
  { symbol: 'JNJ', price: 157.2, volume: 6_800, adjustment: 0.97 },
  { symbol: 'WMT', price: 60.1, volume: 17_000, adjustment: 0.986 },
  { symbol: 'PG', price: 161.3, volume: 6_300, adjustment: 0.975 },
  { symbol: 'XOM', price: 113.9, volume: 16_000, adjustment: 0.966 },
  { symbol: 'MA', price: 471.8, volume: 2_500, adjustment: 0.995 },
  { symbol: 'HD', price: 361.5, volume: 3_400, adjustment: 0.976 },
  { symbol: 'CVX', price: 154.7, volume: 7_500, adjustment: 0.96 },
  { symbol: 'KO', price: 60.4, volume: 12_000, adjustment: 0.969 },
  { symbol: 'PEP', price: 168.2, volume: 4_900, adjustment: 0.971 },
  { symbol: 'ABBV', price: 177.9, volume: 5_300, adjustment: 0.964 },
  { symbol: 'COST', price: 725.3, volume: 1_800, adjustment: 0.995 },
  { symbol: 'MRK', price: 126.8, volume: 7_200, adjustment: 0.975 },
  { symbol: 'AVGO', price: 1312.6, volume: 2_400, adjustment: 0.984 },
  { symbol: 'ADBE', price: 492.3, volume: 2_900, adjustment: 1 },
  { symbol: 'CRM', price: 298.5, volume: 5_100, adjustment: 0.999 },
  { symbol: 'NFLX', price: 612.7, volume: 3_300, adjustment: 1 },
  { symbol: 'AMD', price: 178.6, volume: 48_000, adjustment: 1 },
  { symbol: 'INTC', price: 43.2, volume: 41_000, adjustment: 0.982 },
  { symbol: 'CSCO', price: 48.9, volume: 18_000, adjustment: 0.97 },
  { symbol: 'ORCL', price: 124.1, volume: 8_700, adjustment: 0.987 },
  { symbol: 'DIS', price: 113.4, volume: 9_800, adjustment: 0.996 },
  { symbol: 'BAC', price: 36.8, volume: 39_000, adjustment: 0.975 },
  { symbol: 'WFC', price: 57.3, volume: 17_000, adjustment: 0.976 },
  { symbol: 'T', price: 17.1, volume: 36_000, adjustment: 0.94 },
  { symbol: 'VZ', price: 40.6, volume: 19_000, adjustment: 0.935 },
  { symbol: 'PFE', price: 27.9, volume: 35_000, adjustment: 0.942 },
  { symbol: 'NKE', price: 94.2, volume: 11_000, adjustment: 0.985 },
  { symbol: 'MCD', price: 281.7, volume: 3_600, adjustment: 0.977 },
  { symbol: 'BA', price: 183.5, volume: 8_900, adjustment: 1 },
  { symbol: 'IBM', price: 190.8, volume: 4_700, adjustment: 0.961 },
];

/** Volatility regimes: standard deviation of one bar's log return, and the volume they bring. */
export const REGIMES = [
  { name: 'calm', sigma: 0.0004, volume: 0.6 },
  { name: 'normal', sigma: 0.0012, volume: 1 },
  { name: 'volatile', sigma: 0.0035, volume: 2.2 },
] as const;
/** Chance per bar that a symbol changes regime or starts or ends a trend. */
const REGIME_SWITCH = 1 / 90;
const TREND_SWITCH = 1 / 120;
/** A trend's drift per bar, in regime sigmas: enough to push closes outside the bands for a while. */
const TREND_DRIFT = 0.9;

export interface TicksConfig {
  seed: number;
  start: Date;
  /** Time between two bars of one symbol (ms). */
  barIntervalMs: number;
}

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

/** Standard normal draws (Box-Muller) from a uniform source. */
function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * The bars, endlessly: every symbol's bar of one interval (in listing order), then the next
 * interval's. Prices are to the cent; low <= open, close <= high and volume >= 0 always.
 */
export function* bars(config: TicksConfig): Generator<Bar> {
  const random = mulberry32(config.seed);
  const walks = LISTINGS.map((listing) => ({
    listing,
    close: listing.price,
    regime: 1,
    trend: 0,
  }));
  for (let interval = 0; ; interval += 1) {
    const bar_start = new Date(config.start.getTime() + interval * config.barIntervalMs).toISOString();
    for (const walk of walks) {
      if (random() < REGIME_SWITCH) walk.regime = Math.floor(random() * REGIMES.length);
      if (random() < TREND_SWITCH) walk.trend = walk.trend === 0 ? (random() < 0.5 ? -1 : 1) : 0;
      const regime = REGIMES[walk.regime]!;
      const open = round(walk.close * (1 + regime.sigma * 0.2 * normal(random)), 2);
      const drift = walk.trend * TREND_DRIFT * regime.sigma;
      const close = round(open * Math.exp(drift + regime.sigma * normal(random)), 2);
      const wick = () => Math.abs(normal(random)) * regime.sigma * 0.6;
      const high = round(Math.max(open, close) * (1 + wick()), 2);
      const low = round(Math.min(open, close) * (1 - wick()), 2);
      const volume = Math.round(walk.listing.volume * regime.volume * Math.exp(0.4 * normal(random)));
      walk.close = close;
      yield {
        symbol: walk.listing.symbol,
        bar_start,
        open,
        high: Math.max(high, open, close),
        low: Math.min(low, open, close),
        close,
        adj_close: round(close * walk.listing.adjustment, 4),
        volume,
      };
    }
  }
}
