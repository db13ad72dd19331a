/**
 * Markets (stream 5): two topologies on one topic, market.bars, each with its own consumer group,
 * changelog, dead-letter and late topics. `bollinger` keeps each symbol's last 20 closes and
 * writes the bands of every bar; `aroon` keeps each symbol's last 26 highs and lows and writes
 * Aroon up, down and the oscillator.
 *
 * Both share one rolling-window processor. A symbol's recent bars live in a task store (logged
 * to the pipeline's changelog, so a restart restores them without reading market.bars again).
 * A bar is placed by its bar time: one arriving after later bars of its symbol, but within the
 * grace of the partition's stream time, is inserted where it belongs, and the results of every
 * bar whose window now holds it are computed again and rewritten as absolute values. So after
 * each accepted bar, every stored result equals the definition applied to the accepted bars of
 * its symbol in bar-time order. A bar older than the grace is late (never merged, set aside).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { mean, standardDeviation } from 'simple-statistics';
import { bucketOf, DAY_MS } from '../../common/time.ts';
import { DEFAULT_EVENT_TIME_RANGE, type EventTimeRange } from '../../common/decode.ts';
import {
  AROON,
  AROON_PIPELINE,
  bandSide,
  BOLLINGER,
  BOLLINGER_PIPELINE,
  MARKET_BARS_TOPIC,
  MARKETS_KEYSPACE,
  parseBar,
  type AroonColumns,
  type AroonValues,
  type Bar,
  type BarKey,
  type BollingerBands,
  type BollingerColumns,
  type MarketsTables,
  SCHEMA_FILE,
} from './schema.ts';
import type { KeyValueStore } from '../../processor/dsl/store.ts';
import {
  ACCEPTED,
  source,
  tableRows,
  type Emitter,
  type Outcome,
  type PartitionProcessor,
  type TaskContext,
  type Topology,
} from '../../processor/dsl/topology.ts';

export interface MarketsSettings {
  /** How far behind the partition's stream time a bar may start and still be placed. */
  graceMs: number;
}

const row = tableRows<MarketsTables>();
const BAR_PARTITIONS = 3;

/** Bollinger bands of a window of closes, oldest first: SMA ± 2 population standard deviations. */
export function bollingerBands(closes: readonly number[]): BollingerBands {
  const middle = mean(closes as number[]);
  const deviation = standardDeviation(closes as number[]);
  return {
    middle,
    upper: middle + BOLLINGER.widths * deviation,
    lower: middle - BOLLINGER.widths * deviation,
  };
}

/**
 * Aroon of a window of 26 bars, oldest first: up = 100 × (25 − bars since the highest high) / 25,
 * down likewise with the lowest low. On a tie the most recent extreme counts.
 */
export function aroon(highs: readonly number[], lows: readonly number[]): AroonValues {
  let highAt = 0;
  let lowAt = 0;
  for (let at = 1; at < highs.length; at += 1) {
    if (highs[at]! >= highs[highAt]!) highAt = at;
    if (lows[at]! <= lows[lowAt]!) lowAt = at;
  }
  const newest = highs.length - 1;
  const up = (100 * (AROON.periods - (newest - highAt))) / AROON.periods;
  const down = (100 * (AROON.periods - (newest - lowAt))) / AROON.periods;
  return { up, down, oscillator: up - down };
}

/**
 * One symbol's recent bars in bar-time order, flattened for a compact changelog: per bar its
 * start (ms) followed by the values the indicator reads (`stride` numbers a bar in all).
 */
export type RecentBars = number[];

/** Puts a bar where its time belongs (replacing a bar of the same time); returns its index. */
export function placeBar(bars: RecentBars, stride: number, values: readonly number[]): number {
  const time = values[0]!;
  // Nearly every bar is the newest: search from the end.
  let at = bars.length / stride;
  while (at > 0 && bars[(at - 1) * stride]! > time) at -= 1;
  if (at > 0 && bars[(at - 1) * stride] === time) {
    bars.splice((at - 1) * stride, stride, ...values);
    return at - 1;
  }
  bars.splice(at * stride, 0, ...values);
  return at;
}

/**
 * Drops bars no later bar can need: a bar placed from now on starts at or after `cutoff`, so its
 * window and those it changes reach back at most `windowBars - 1` bars before the first bar at
 * or after the cutoff.
 */
export function pruneBars(bars: RecentBars, stride: number, windowBars: number, cutoff: number): void {
  const count = bars.length / stride;
  let firstKept = 0;
  while (firstKept < count && bars[firstKept * stride]! < cutoff) firstKept += 1;
  const drop = Math.max(0, firstKept - (windowBars - 1));
  if (drop > 0) bars.splice(0, drop * stride);
}

function barKey(symbol: string, time: number): BarKey {
  const bar_start = new Date(time);
  return { symbol, day: bucketOf(bar_start, DAY_MS), bar_start };
}

/** What differs between the two pipelines: which numbers of a bar they keep, and what they compute from them. */
interface Indicator<Columns> {
  pipeline: string;
  /** The window: the bar and the ones before it. */
  windowBars: number;
  /** Numbers kept per bar. */
  stride: number;
  /** The numbers kept per bar (`stride` of them), its start first. */
  values(bar: Bar, time: number): number[];
  /** The indicator columns of the newest bar of a full window (`windowBars` bars, `stride` numbers each). */
  compute(window: RecentBars): Columns;
  /** After a bar was placed: a pipeline's own metrics from the symbol's bars, committed with them. */
  afterBar?(symbol: string, bars: RecentBars, out: Emitter): void;
}

class RollingIndicator<Columns extends Partial<MarketsTables['bars']>> implements PartitionProcessor<Bar> {
  private readonly recent: KeyValueStore<RecentBars>;

  constructor(
    private readonly task: TaskContext,
    private readonly settings: MarketsSettings,
    private readonly indicator: Indicator<Columns>,
    private readonly recomputed: Counter<'pipeline'>,
  ) {
    this.recent = task.store<RecentBars>('bars');
  }

  private get stride(): number {
    return this.indicator.stride;
  }

  process(bar: Bar, time: number, out: Emitter): Outcome {
    const streamTime = Math.max(this.task.streamTime, time);
    const { graceMs } = this.settings;
    if (time < this.task.streamTime - graceMs) {
      return {
        accepted: false,
        late:
          `late: bar ${bar.symbol} ${bar.bar_start} starts more than the grace of ${graceMs / 1000} s ` +
          `before the partition's stream time ${new Date(this.task.streamTime).toISOString()}`,
      };
    }
    const { stride, indicator } = this;
    const known = this.recent.get(bar.symbol);
    // Either pipeline alone lists its symbols for the dashboard; the second upsert changes nothing.
    if (known === undefined) out.row(row('symbols', { symbol: bar.symbol }));
    const bars = known ?? [];
    const placed = placeBar(bars, stride, indicator.values(bar, time));
    const { open, high, low, close, adj_close, volume } = bar;
    out.row(
      row('bars', {
        ...barKey(bar.symbol, time),
        ...{ open, high, low, close, adj_close, volume },
        ...this.resultAt(bars, placed),
      }),
    );
    // The bars after it whose window now holds it: their results change, written again whole.
    const count = bars.length / stride;
    const changedUpTo = Math.min(count - 1, placed + indicator.windowBars - 1);
    let rewritten = 0;
    for (let at = placed + 1; at <= changedUpTo; at += 1) {
      const result = this.resultAt(bars, at);
      if (result === undefined) continue;
      out.row(row('bars', { ...barKey(bar.symbol, bars[at * stride]!), ...result }));
      rewritten += 1;
    }
    pruneBars(bars, stride, indicator.windowBars, streamTime - graceMs);
    this.recent.put(bar.symbol, bars);
    out.stored(time);
    indicator.afterBar?.(bar.symbol, bars, out);
    if (rewritten > 0)
      out.afterCommit(() => this.recomputed.inc({ pipeline: indicator.pipeline }, rewritten));
    return ACCEPTED;
  }

  /** The indicator of the bar at `at`, or undefined while fewer than `windowBars` bars end there. */
  private resultAt(bars: RecentBars, at: number): Columns | undefined {
    const first = at - (this.indicator.windowBars - 1);
    if (first < 0) return undefined;
    return this.indicator.compute(bars.slice(first * this.stride, (at + 1) * this.stride));
  }
}

/** Every `stride`-th number of a window from `offset`: one field of each of its bars. */
function field(window: RecentBars, stride: number, offset: number): number[] {
  const values: number[] = [];
  for (let at = offset; at < window.length; at += stride) values.push(window[at]!);
  return values;
}

const BOLLINGER_STRIDE = 2;
const AROON_STRIDE = 3;

/** How many of a symbol's newest closes in a row are outside their bands (0 when the newest is inside). */
export function closesOutsideBands(bars: RecentBars): number {
  const count = bars.length / BOLLINGER_STRIDE;
  let streak = 0;
  for (let at = count - 1; at >= BOLLINGER.periods - 1; at -= 1) {
    const window = bars.slice((at - BOLLINGER.periods + 1) * BOLLINGER_STRIDE, (at + 1) * BOLLINGER_STRIDE);
    const bands = bollingerBands(field(window, BOLLINGER_STRIDE, 1));
    if (bandSide(bars[at * BOLLINGER_STRIDE + 1]!, bands) === 'inside') break;
    streak += 1;
  }
  return streak;
}

/** One counter for both pipelines, registered by whichever is built first. */
function recomputedResults(registry: Registry): Counter<'pipeline'> {
  const name = 'markets_recomputed_results_total';
  return (
    (registry.getSingleMetric(name) as Counter<'pipeline'> | undefined) ??
    new Counter({
      name,
      help: 'Indicator results written again because an earlier bar of the symbol arrived out of order, by pipeline.',
      labelNames: ['pipeline'] as const,
      registers: [registry],
    })
  );
}

function marketsTopology<Columns extends Partial<MarketsTables['bars']>>(
  registry: Registry,
  settings: MarketsSettings,
  eventTimes: EventTimeRange,
  indicator: Indicator<Columns>,
): Topology {
  const recomputed = recomputedResults(registry);
  recomputed.inc({ pipeline: indicator.pipeline }, 0);
  return {
    name: indicator.pipeline,
    schema: { file: SCHEMA_FILE, keyspace: MARKETS_KEYSPACE },
    sources: [
      source<Bar>({
        topic: MARKET_BARS_TOPIC,
        partitions: BAR_PARTITIONS,
        stateful: true,
        shared: true,
        decode: (record) => parseBar(record.value, eventTimes),
        eventTime: (bar) => Date.parse(bar.bar_start),
        processor: (task) => new RollingIndicator(task, settings, indicator, recomputed),
      }),
    ],
    outputs: [],
  };
}

export function createBollingerTopology(
  registry: Registry,
  settings: MarketsSettings,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Topology {
  const outside = new Gauge({
    name: 'markets_bollinger_outside_bars',
    help:
      "Newest closes in a row outside the symbol's Bollinger bands; only symbols whose newest close " +
      'is outside have a series.',
    labelNames: ['symbol'] as const,
    registers: [registry],
  });
  return marketsTopology<BollingerColumns>(registry, settings, eventTimes, {
    pipeline: BOLLINGER_PIPELINE,
    windowBars: BOLLINGER.periods,
    stride: BOLLINGER_STRIDE,
    values: (bar, time) => [time, bar.close],
    compute(window) {
      const { middle, upper, lower } = bollingerBands(field(window, BOLLINGER_STRIDE, 1));
      return { bollinger_middle: middle, bollinger_upper: upper, bollinger_lower: lower };
    },
    afterBar(symbol, bars, out) {
      const streak = closesOutsideBands(bars);
      out.afterCommit(() => {
        if (streak > 0) outside.set({ symbol }, streak);
        else outside.remove({ symbol });
      });
    },
  });
}

export function createAroonTopology(
  registry: Registry,
  settings: MarketsSettings,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Topology {
  return marketsTopology<AroonColumns>(registry, settings, eventTimes, {
    pipeline: AROON_PIPELINE,
    windowBars: AROON.periods + 1,
    stride: AROON_STRIDE,
    values: (bar, time) => [time, bar.high, bar.low],
    compute(window) {
      const { up, down, oscillator } = aroon(field(window, AROON_STRIDE, 1), field(window, AROON_STRIDE, 2));
      return { aroon_up: up, aroon_down: down, aroon_oscillator: oscillator };
    },
  });
}
