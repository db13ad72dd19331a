/**
 * The Bollinger and Aroon definitions computed the plain way, straight from a list of bars: what
 * the tests hold the two pipelines' rows against. Deliberately independent of the processor's
 * code (no simple-statistics, no rolling state): sort each symbol's bars, slide the window.
 */
import type { Bar } from '../schema.ts';

export interface ExpectedIndicators {
  bollinger?: { middle: number; upper: number; lower: number };
  aroon?: { up: number; down: number; oscillator: number };
}

/** Per bar, keyed `<symbol>|<bar start ms>`: its indicators, absent until the window is full. */
export function expectedIndicators(bars: readonly Bar[]): Map<string, ExpectedIndicators> {
  const bySymbol = new Map<string, Bar[]>();
  for (const bar of bars) bySymbol.set(bar.symbol, [...(bySymbol.get(bar.symbol) ?? []), bar]);
  const expected = new Map<string, ExpectedIndicators>();
  for (const [symbol, list] of bySymbol) {
    const sorted = [...list].sort((a, b) => Date.parse(a.bar_start) - Date.parse(b.bar_start));
    sorted.forEach((bar, index) => {
      const entry: ExpectedIndicators = {};
      if (index >= 19) {
        const closes = sorted.slice(index - 19, index + 1).map((each) => each.close);
        const middle = closes.reduce((sum, close) => sum + close, 0) / closes.length;
        const variance = closes.reduce((sum, close) => sum + (close - middle) ** 2, 0) / closes.length;
        const sigma = Math.sqrt(variance);
        entry.bollinger = { middle, upper: middle + 2 * sigma, lower: middle - 2 * sigma };
      }
      if (index >= 25) {
        const window = sorted.slice(index - 25, index + 1);
        // Most recent extreme on ties: scan from the newest bar back, keep the first strict record.
        let sinceHigh = 0;
        let sinceLow = 0;
        for (let back = 1; back <= 25; back += 1) {
          const candidate = window[25 - back]!;
          if (candidate.high > window[25 - sinceHigh]!.high) sinceHigh = back;
          if (candidate.low < window[25 - sinceLow]!.low) sinceLow = back;
        }
        const up = (100 * (25 - sinceHigh)) / 25;
        const down = (100 * (25 - sinceLow)) / 25;
        entry.aroon = { up, down, oscillator: up - down };
      }
      expected.set(`${symbol}|${Date.parse(bar.bar_start)}`, entry);
    });
  }
  return expected;
}

/** Equal to a relative 1e-9 (an absolute 1e-9 near zero, where the oscillator often is). */
export function closeTo(actual: unknown, expected: number): boolean {
  if (typeof actual !== 'number') return false;
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}
