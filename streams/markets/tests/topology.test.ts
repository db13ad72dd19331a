import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sampleValue } from '../../../common/exposition.ts';
import { bars as generatedBars } from '../ticks.ts';
import { STREAMS } from '../../index.ts';
import { markets } from '../manifest.ts';
import { TopologyTestDriver } from '../../../processor/dsl/driver.ts';
import { sideTopics } from '../../../processor/dsl/topology.ts';
import {
  aroon,
  bollingerBands,
  closesOutsideBands,
  createAroonTopology,
  createBollingerTopology,
  placeBar,
  pruneBars,
} from '../topology.ts';
import { MARKET_BARS_TOPIC, parseBar, type Bar } from '../schema.ts';
import { closeTo, expectedIndicators } from './reference.ts';

const GRACE_MS = 30_000;
const START = Date.parse('2026-03-02T14:30:00Z');

function bar(symbol: string, second: number, close: number, overrides: Partial<Bar> = {}): Bar {
  return {
    symbol,
    bar_start: new Date(START + second * 1000).toISOString(),
    open: close,
    high: close + 1,
    low: close - 1,
    close,
    adj_close: close,
    volume: 1000,
    ...overrides,
  };
}

/** A symbol's bars at seconds 0..count-1, closes from a deterministic wiggle. */
function series(symbol: string, count: number): Bar[] {
  return Array.from({ length: count }, (_, second) => {
    const close = 100 + 5 * Math.sin(second / 3) + (second % 7);
    return bar(symbol, second, Number(close.toFixed(2)), {
      high: Number((close + 1 + (second % 5) / 2).toFixed(2)),
      low: Number((close - 1 - (second % 4) / 2).toFixed(2)),
    });
  });
}

function drivers() {
  const registry = new Registry();
  const settings = { graceMs: GRACE_MS };
  return {
    registry,
    bollinger: new TopologyTestDriver(createBollingerTopology(registry, settings)),
    aroon: new TopologyTestDriver(createAroonTopology(registry, settings)),
  };
}

const pipe = (driver: TopologyTestDriver, bars: Bar[]) =>
  driver.pipe(
    MARKET_BARS_TOPIC,
    bars.map((each) => ({ key: each.symbol, value: JSON.stringify(each) })),
  );

/** The bars table as the upserts leave it: later writes of a column win, columns merge per row. */
function storedBars(driver: TopologyTestDriver): Map<string, Record<string, unknown>> {
  const table = new Map<string, Record<string, unknown>>();
  for (const { table: name, values } of driver.rows) {
    if (name !== 'bars') continue;
    const key = `${values['symbol'] as string}|${(values['bar_start'] as Date).getTime()}`;
    table.set(key, { ...table.get(key), ...values });
  }
  return table;
}

/** Every stored indicator equals the reference computed from `bars`, and every reference value is stored. */
function expectDefinitions(driver: TopologyTestDriver, kind: 'bollinger' | 'aroon', bars: Bar[]): number {
  const stored = storedBars(driver);
  let compared = 0;
  for (const [key, expected] of expectedIndicators(bars)) {
    const row = stored.get(key);
    expect(row, key).toBeDefined();
    if (kind === 'bollinger') {
      if (expected.bollinger === undefined) {
        expect(row!['bollinger_middle'], key).toBeUndefined();
        continue;
      }
      expect(closeTo(row!['bollinger_middle'] as number, expected.bollinger.middle), key).toBe(true);
      expect(closeTo(row!['bollinger_upper'] as number, expected.bollinger.upper), key).toBe(true);
      expect(closeTo(row!['bollinger_lower'] as number, expected.bollinger.lower), key).toBe(true);
    } else {
      if (expected.aroon === undefined) {
        expect(row!['aroon_up'], key).toBeUndefined();
        continue;
      }
      expect(row!['aroon_up'], key).toBe(expected.aroon.up);
      expect(row!['aroon_down'], key).toBe(expected.aroon.down);
      expect(row!['aroon_oscillator'], key).toBe(expected.aroon.oscillator);
    }
    compared += 1;
  }
  expect(stored.size).toBe(expectedIndicators(bars).size);
  return compared;
}

describe('the definitions', () => {
  it('Bollinger bands: the mean of the closes ± 2 population standard deviations', () => {
    const closes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    const { middle, upper, lower } = bollingerBands(closes);
    expect(middle).toBe(10.5);
    // Population variance of 1..20 is (20² − 1) / 12.
    expect(upper).toBeCloseTo(10.5 + 2 * Math.sqrt(399 / 12), 12);
    expect(lower).toBeCloseTo(10.5 - 2 * Math.sqrt(399 / 12), 12);
  });

  it('Aroon: 100 × (25 − bars since the extreme) / 25; on a tie the most recent extreme counts', () => {
    const highs = Array.from({ length: 26 }, () => 10);
    const lows = Array.from({ length: 26 }, () => 5);
    // Every bar ties: the newest is the extreme, 0 bars ago.
    expect(aroon(highs, lows)).toEqual({ up: 100, down: 100, oscillator: 0 });
    highs[3] = 12;
    highs[10] = 12; // 15 bars ago, more recent than the one at 3 (22 bars ago)
    lows[0] = 1; // 25 bars ago
    expect(aroon(highs, lows)).toEqual({ up: 40, down: 0, oscillator: 40 });
  });
});

describe('bollinger and aroon over market.bars', () => {
  it('one result per bar once the window is full (20 and 26 bars), equal to the definitions', () => {
    const bars = [...series('AAPL', 60), ...series('MSFT', 30)].sort(
      (a, b) => Date.parse(a.bar_start) - Date.parse(b.bar_start),
    );
    const { bollinger, aroon: aroonDriver } = drivers();
    pipe(bollinger, bars);
    pipe(aroonDriver, bars);
    expect(expectDefinitions(bollinger, 'bollinger', bars)).toBe(41 + 11);
    expect(expectDefinitions(aroonDriver, 'aroon', bars)).toBe(35 + 5);
    // Both write the candle itself.
    const row = storedBars(aroonDriver).get(`AAPL|${START}`)!;
    expect(row).toMatchObject({ open: bars[0]!.open, high: bars[0]!.high, volume: 1000 });
    for (const driver of [bollinger, aroonDriver]) {
      expect(driver.rows.filter((row) => row.table === 'symbols').map((row) => row.values)).toEqual([
        { symbol: 'AAPL' },
        { symbol: 'MSFT' },
      ]);
    }
  });

  it('a bar out of order within the grace is placed by bar time: the bars after it are computed again and rewritten as absolute values', async () => {
    const bars = series('NVDA', 70);
    // Bar 50 arrives after bar 65 (15 s later, inside the 30 s grace); bar 10 after bar 30.
    const arrival = bars.filter((_, index) => index !== 50 && index !== 10);
    arrival.splice(arrival.findIndex((each) => each === bars[65]) + 1, 0, bars[50]!);
    arrival.splice(arrival.findIndex((each) => each === bars[30]) + 1, 0, bars[10]!);
    const { bollinger, aroon: aroonDriver, registry } = drivers();
    for (const each of arrival) {
      pipe(bollinger, [each]);
      pipe(aroonDriver, [each]);
    }
    expectDefinitions(bollinger, 'bollinger', bars);
    expectDefinitions(aroonDriver, 'aroon', bars);
    // Bar 50's arrival rewrote bars 51..65 (all there were after it). Bar 10's rewrote the bars
    // with a full window holding it: 19..29 for Bollinger, 25..30 (all there were) for Aroon.
    const rewrites = (driver: TopologyTestDriver) =>
      driver.rows.filter((row) => row.table === 'bars' && row.values['open'] === undefined).length;
    expect(rewrites(bollinger)).toBe(15 + 11);
    expect(rewrites(aroonDriver)).toBe(15 + 6);
    bollinger.commit();
    aroonDriver.commit();
    const metrics = await registry.metrics();
    const recomputed = (pipeline: string) =>
      sampleValue(metrics, 'markets_recomputed_results_total', { pipeline });
    expect([recomputed('bollinger'), recomputed('aroon')]).toEqual([15 + 11, 15 + 6]);
  });

  it('a bar older than the grace is late: set aside in the pipeline’s own late topic, written nowhere', () => {
    const bars = series('TSLA', 40);
    const { bollinger, aroon: aroonDriver } = drivers();
    const stale = bar('TSLA', 39 - 31, 100);
    for (const driver of [bollinger, aroonDriver]) {
      pipe(driver, bars);
      const written = driver.rows.length;
      pipe(driver, [stale]);
      expect(driver.rows.length).toBe(written);
    }
    for (const [driver, pipeline] of [
      [bollinger, 'bollinger'],
      [aroonDriver, 'aroon'],
    ] as const) {
      const [late] = driver.output(`market.bars.${pipeline}.late`);
      expect(JSON.parse(late!.value!)).toMatchObject({
        reason: expect.stringMatching(
          /^late: bar TSLA 2026-03-02T14:30:08.000Z starts more than the grace of 30 s/,
        ),
        origin: { topic: 'market.bars', offset: '40' },
      });
      expect(driver.output('market.bars.late')).toEqual([]);
    }
    // A bar exactly at the grace's edge is still placed.
    pipe(bollinger, [bar('TSLA', 39 - 30, 100)]);
    expect(bollinger.output('market.bars.bollinger.late')).toHaveLength(1);
  });

  it('an inconsistent bar is a dead letter of each pipeline with its reason, never a crash', () => {
    const { bollinger, aroon: aroonDriver } = drivers();
    const bad = [
      JSON.stringify(bar('IBM', 0, 100, { high: 98, low: 99 })),
      JSON.stringify(bar('IBM', 1, 100, { volume: -5 })),
      JSON.stringify(bar('IBM', 2, 100, { open: 102 })),
      JSON.stringify(bar('IBM', 3, 100, { close: 97, open: 99 })),
      JSON.stringify({ ...bar('IBM', 4, 100), close: 'x' }),
      '{not json',
    ];
    for (const [driver, pipeline] of [
      [bollinger, 'bollinger'],
      [aroonDriver, 'aroon'],
    ] as const) {
      driver.pipe(
        MARKET_BARS_TOPIC,
        bad.map((value) => ({ key: 'IBM', value })),
      );
      const reasons = driver
        .output(`market.bars.${pipeline}.dlq`)
        .map((letter) => (JSON.parse(letter.value!) as { reason: string }).reason);
      expect(reasons).toEqual([
        'inconsistent bar: high 98 < low 99',
        'inconsistent bar: negative volume -5',
        'inconsistent bar: open 102 outside [low 99, high 101]',
        'inconsistent bar: close 97 outside [low 99, high 101]',
        'invalid field close: expected a number in [0, 1000000000]',
        expect.stringMatching(/^invalid JSON/),
      ]);
      expect(driver.rows).toEqual([]);
    }
  });

  it('a restart restores each symbol’s window from the changelog: results go on as if uninterrupted', () => {
    const bars = [...series('AMD', 50), ...series('INTC', 50)].sort(
      (a, b) => Date.parse(a.bar_start) - Date.parse(b.bar_start),
    );
    const { bollinger, aroon: aroonDriver } = drivers();
    for (const driver of [bollinger, aroonDriver]) {
      pipe(driver, bars.slice(0, 45));
      driver.restart();
      pipe(driver, bars.slice(45, 70));
      driver.restart();
      pipe(driver, bars.slice(70));
    }
    expectDefinitions(bollinger, 'bollinger', bars);
    expectDefinitions(aroonDriver, 'aroon', bars);
    expect(bollinger.stateSize(MARKET_BARS_TOPIC)).toBe(2);
  });

  it('three closes in a row outside the bands: the streak gauge of the symbol reads 3, and its series goes once back inside', async () => {
    const { bollinger, registry } = drivers();
    const flat = Array.from({ length: 25 }, (_, second) => bar('KO', second, 60 + (second % 2) / 10));
    const breakout = [70, 75, 80].map((close, index) => bar('KO', 25 + index, close));
    pipe(bollinger, [...flat, ...breakout]);
    bollinger.commit();
    const gauge = async () =>
      sampleValue(await registry.metrics(), 'markets_bollinger_outside_bars', { symbol: 'KO' });
    expect(await gauge()).toBe(3);
    pipe(bollinger, [bar('KO', 28, 70)]);
    bollinger.commit();
    expect(await gauge()).toBeUndefined();
  });
});

describe('rolling bars', () => {
  it('placeBar keeps bar-time order and replaces a bar of the same time', () => {
    const bars: number[] = [];
    expect(placeBar(bars, 2, [10, 1])).toBe(0);
    expect(placeBar(bars, 2, [30, 3])).toBe(1);
    expect(placeBar(bars, 2, [20, 2])).toBe(1);
    expect(placeBar(bars, 2, [20, 9])).toBe(1);
    expect(placeBar(bars, 2, [5, 0])).toBe(0);
    expect(bars).toEqual([5, 0, 10, 1, 20, 9, 30, 3]);
  });

  it('pruneBars keeps the bars at or after the cutoff and the window − 1 before them', () => {
    const bars = Array.from({ length: 10 }, (_, at) => [at * 10, at]).flat();
    pruneBars(bars, 2, 3, 65);
    expect(bars).toEqual([50, 5, 60, 6, 70, 7, 80, 8, 90, 9].slice(0));
    const idle = [10, 1, 20, 2, 30, 3];
    pruneBars(idle, 2, 3, 1000);
    expect(idle).toEqual([20, 2, 30, 3]);
  });

  it('closesOutsideBands counts the newest closes outside their bands, stopping at the first inside', () => {
    const flat = Array.from({ length: 20 }, (_, at) => [at, 50 + (at % 2)]).flat();
    expect(closesOutsideBands(flat)).toBe(0);
    expect(closesOutsideBands([...flat, 20, 40, 21, 30])).toBe(2);
  });
});

describe('several topologies on one topic', () => {
  const eventTimes = { earliestMs: 0, latestMs: Date.parse('2100-01-01T00:00:00Z') };
  const env = { MARKETS_GRACE_SECONDS: String(GRACE_MS / 1000) };
  const topologies = STREAMS.flatMap((stream) => Object.values(stream.configure(env).pipelines)).map(
    (create) => create(new Registry(), eventTimes),
  );

  it('a source read by more than one topology is shared by each: every pipeline has its own dead-letter and late topics', () => {
    const readers = new Map<string, string[]>();
    for (const topology of topologies) {
      for (const node of topology.sources)
        readers.set(node.topic, [...(readers.get(node.topic) ?? []), topology.name]);
    }
    expect(readers.get(MARKET_BARS_TOPIC)).toEqual(expect.arrayContaining(['bollinger', 'aroon']));
    const sideTopicNames = new Set<string>();
    for (const topology of topologies) {
      for (const node of topology.sources) {
        expect(node.shared === true, `${topology.name} on ${node.topic}`).toBe(
          readers.get(node.topic)!.length > 1,
        );
        const { deadLetters, late } = sideTopics(topology.name, node);
        expect(sideTopicNames.has(deadLetters)).toBe(false);
        sideTopicNames.add(deadLetters);
        sideTopicNames.add(late);
      }
    }
  });

  it('an unshared source keeps `<topic>.dlq` and `<topic>.late`: harmony’s and traffic’s names are unchanged', () => {
    expect(sideTopics('harmony', { topic: 'drone.reports' })).toEqual({
      deadLetters: 'drone.reports.dlq',
      late: 'drone.reports.late',
    });
    expect(sideTopics('traffic', { topic: 'traffic.pageviews', shared: false })).toEqual({
      deadLetters: 'traffic.pageviews.dlq',
      late: 'traffic.pageviews.late',
    });
    expect(sideTopics('aroon', { topic: 'market.bars', shared: true })).toEqual({
      deadLetters: 'market.bars.aroon.dlq',
      late: 'market.bars.aroon.late',
    });
  });
});

describe('the ticks generator', () => {
  const first = (count: number, seed = 9) => {
    const all: Bar[] = [];
    const source = generatedBars({ seed, start: new Date(START), barIntervalMs: 1000 });
    while (all.length < count) all.push(source.next().value as Bar);
    return all;
  };

  it('one consistent bar per symbol per interval, for 40 symbols, deterministic under a seed', () => {
    const bars = first(40 * 300);
    expect(new Set(bars.map((each) => each.symbol)).size).toBe(40);
    for (const each of bars) expect(parseBar(JSON.stringify(each))).toEqual({ ok: true, value: each });
    expect(bars[40]!.bar_start).toBe(new Date(START + 1000).toISOString());
    expect(first(100)).toEqual(bars.slice(0, 100));
    expect(first(100, 10)).not.toEqual(bars.slice(0, 100));
  });

  it('volatility regimes: the band width of a symbol varies several-fold over a run', () => {
    const bars = first(40 * 2000).filter((each) => each.symbol === 'AAPL');
    const widths = bars
      .map((_, at) => at)
      .filter((at) => at >= 19)
      .map((at) => {
        const bands = bollingerBands(bars.slice(at - 19, at + 1).map((each) => each.close));
        return (bands.upper - bands.lower) / bands.middle;
      });
    expect(Math.max(...widths) / Math.min(...widths)).toBeGreaterThan(4);
  });

  it('ticks is a generator stream: keyed by symbol to market.bars, 40 bars a second by default', () => {
    const ticks = markets.generator;
    expect(ticks.defaultTopic).toBe('market.bars');
    expect(ticks.defaultRate({ interval: 1 })).toBe('2400/min');
    expect(ticks.defaultRate({ interval: 60 })).toBe('40/min');
    const events = ticks.events({ seed: 1, start: new Date(START), intervalMs: 25 }, { interval: 5 });
    const second = Array.from({ length: 41 }, () => events.next().value!)[40]!;
    expect(second.key).toBe('AAPL');
    expect(JSON.parse(second.value).bar_start).toBe(new Date(START + 5000).toISOString());
  });
});
