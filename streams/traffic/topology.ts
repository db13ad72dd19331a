/**
 * Web-traffic surges (stream 3), in two stages as Kafka Streams' two-stage top-N examples do.
 *
 * Stage one, per partition of traffic.pageviews: page views counted per business in 10 s
 * buckets of event time. When a minute closes, each business's views in it become a row; when
 * a 10 s step t closes, every business with at least 5 views in [t - 60 s, t) is ranked by
 * surge against its own trailing average, and the partition's top 10 go to the candidates
 * topic. Stage two, on that single-partition topic: once every source partition has reported
 * step t, the candidates are merged into the global top 10 of t. A business lives in one
 * partition only, so the global top 10 is always among the partitions' top 10s.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { bucketOf, HOUR_MS, MINUTE_MS } from '../../common/time.ts';
import {
  businessShard,
  compareSurges,
  parseBusiness,
  parsePageView,
  SURGE,
  surgeRatio,
  TRAFFIC_BUSINESSES_TOPIC,
  TRAFFIC_KEYSPACE,
  TRAFFIC_PAGEVIEWS_TOPIC,
  TRAFFIC_SURGE_CANDIDATES_TOPIC,
  type Business,
  type CheckedPageView,
  type SurgeCandidates,
  type SurgeEntry,
  type TrafficTables,
  SCHEMA_FILE,
} from './schema.ts';
import { fail, ok } from '../../common/result.ts';
import { DEFAULT_EVENT_TIME_RANGE, type EventTimeRange } from '../../common/decode.ts';
import type { KeyValueStore } from '../../processor/dsl/store.ts';
import {
  ACCEPTED,
  source,
  tableRows,
  type Emitter,
  type PartitionProcessor,
  type TaskContext,
  type Topology,
} from '../../processor/dsl/topology.ts';
import { StepGather, WindowCloser } from '../../processor/dsl/windows.ts';

export interface TrafficSettings {
  /** How long after a window's end its events may still arrive and be counted. */
  graceMs: number;
}

const row = tableRows<TrafficTables>();

/** A business's recent views: [bucket start, count] pairs, oldest first, flattened for a compact changelog. */
type Buckets = number[];

/**
 * Counts a view in its bucket. Buckets older than `keepFrom` are dropped while the value is
 * rewritten anyway: pruning here, not at eviction, spares a changelog record per business per
 * evicted bucket.
 */
function addView(buckets: Buckets, bucket: number, keepFrom: number): Buckets {
  let stale = 0;
  while (stale < buckets.length && buckets[stale]! < keepFrom) stale += 2;
  if (stale > 0) buckets.splice(0, stale);
  // Nearly every view falls in the newest bucket; out-of-order ones are placed where they belong.
  for (let at = buckets.length - 2; at >= 0; at -= 2) {
    if (buckets[at] === bucket) {
      buckets[at + 1]! += 1;
      return buckets;
    }
    if (buckets[at]! < bucket) {
      buckets.splice(at + 2, 0, bucket, 1);
      return buckets;
    }
  }
  buckets.unshift(bucket, 1);
  return buckets;
}

/** Views with a bucket in [from, to). */
function viewsBetween(buckets: Buckets, from: number, to: number): number {
  let views = 0;
  for (let at = 0; at < buckets.length; at += 2) {
    const bucket = buckets[at]!;
    if (bucket >= from && bucket < to) views += buckets[at + 1]!;
  }
  return views;
}

/** The ranking entry of a business at step t, or undefined when it has too few recent views to rank. */
export function surgeAt(businessId: string, buckets: Buckets, step: number): SurgeEntry | undefined {
  const recentFrom = step - SURGE.recentMs;
  const views60s = viewsBetween(buckets, recentFrom, step);
  if (views60s < SURGE.minRecentViews) return undefined;
  const trailingAvg =
    viewsBetween(buckets, recentFrom - SURGE.trailingMs, recentFrom) / (SURGE.trailingMs / MINUTE_MS);
  return {
    business_id: businessId,
    views_60s: views60s,
    trailing_avg: trailingAvg,
    surge: surgeRatio(views60s, trailingAvg),
  };
}

/** The best `SURGE.topN` of some entries, in ranking order. */
export function topSurges(entries: Iterable<SurgeEntry>): SurgeEntry[] {
  return [...entries].sort(compareSurges).slice(0, SURGE.topN);
}

class PageViewCounter implements PartitionProcessor<CheckedPageView> {
  private readonly views: KeyValueStore<Buckets>;
  private readonly steps: WindowCloser;
  private readonly minutes: WindowCloser;
  /** Which businesses have views in each bucket: an index of the store, rebuilt after a restore. */
  private readonly byBucket = new Map<number, Set<string>>();

  constructor(
    private readonly task: TaskContext,
    settings: TrafficSettings,
  ) {
    this.views = task.store<Buckets>('views');
    const marks = task.store<number>('closed');
    this.steps = new WindowCloser(marks, 'step', { sizeMs: SURGE.stepMs, graceMs: settings.graceMs });
    this.minutes = new WindowCloser(marks, 'minute', { sizeMs: MINUTE_MS, graceMs: settings.graceMs });
    for (const [businessId, buckets] of this.views.entries()) {
      for (let at = 0; at < buckets.length; at += 2) this.index(buckets[at]!, businessId);
    }
  }

  private index(bucket: number, businessId: string): void {
    let businesses = this.byBucket.get(bucket);
    if (businesses === undefined) {
      businesses = new Set();
      this.byBucket.set(bucket, businesses);
    }
    businesses.add(businessId);
  }

  /** Businesses with views in any bucket of [from, to). */
  private businessesBetween(from: number, to: number): Set<string> {
    const found = new Set<string>();
    for (let bucket = from; bucket < to; bucket += SURGE.stepMs) {
      for (const businessId of this.byBucket.get(bucket) ?? []) found.add(businessId);
    }
    return found;
  }

  process(view: CheckedPageView, eventTime: number) {
    // The step is the finest window: a view whose step has closed is late for the minute too.
    const late = this.steps.lateness(eventTime);
    if (late !== undefined) return { accepted: false as const, late };
    const bucket = this.steps.windowStart(eventTime);
    const buckets = this.views.get(view.business_id) ?? [];
    this.views.put(view.business_id, addView(buckets, bucket, this.oldestNeeded()));
    this.index(bucket, view.business_id);
    return ACCEPTED;
  }

  advance(out: Emitter): void {
    const streamTime = this.task.streamTime;
    const minutes = this.minutes.close(streamTime);
    if (minutes !== undefined) {
      for (let end = minutes.first; end <= minutes.last; end += MINUTE_MS)
        this.emitMinute(end - MINUTE_MS, out);
    }
    const steps = this.steps.close(streamTime);
    if (steps !== undefined) {
      for (let step = steps.first; step <= steps.last; step += SURGE.stepMs) {
        const candidates = this.candidatesAt(step);
        // Empty steps are skipped, but the newest closed step is always reported: stage two
        // learns from it that this partition is done with every step up to it.
        if (candidates.length > 0 || step === steps.last) this.emitCandidates(step, candidates, out);
      }
    }
    if (minutes !== undefined || steps !== undefined) this.evict();
  }

  private emitMinute(minute: number, out: Emitter): void {
    const minuteDate = new Date(minute);
    const hour = bucketOf(minuteDate, HOUR_MS);
    for (const businessId of this.businessesBetween(minute, minute + MINUTE_MS)) {
      const views = viewsBetween(this.views.get(businessId)!, minute, minute + MINUTE_MS);
      const shard = businessShard(businessId);
      out.row(row('business_minutes', { hour, shard, business_id: businessId, minute: minuteDate, views }));
    }
    out.stored(minute + MINUTE_MS / 2);
  }

  private candidatesAt(step: number): SurgeEntry[] {
    const entries: SurgeEntry[] = [];
    for (const businessId of this.businessesBetween(step - SURGE.recentMs, step)) {
      const entry = surgeAt(businessId, this.views.get(businessId)!, step);
      if (entry !== undefined) entries.push(entry);
    }
    return topSurges(entries);
  }

  private emitCandidates(step: number, candidates: SurgeEntry[], out: Emitter): void {
    const message: SurgeCandidates = {
      step,
      source_partition: this.task.partition,
      source_partitions: this.task.partitionCount,
      candidates,
    };
    out.record(TRAFFIC_SURGE_CANDIDATES_TOPIC, null, JSON.stringify(message));
  }

  /** The oldest bucket a step or minute still to close can need; -Infinity before the first event. */
  private oldestNeeded(): number {
    const steps = this.steps.closedUpTo;
    const minutes = this.minutes.closedUpTo;
    if (steps === undefined || minutes === undefined) return Number.NEGATIVE_INFINITY;
    return Math.min(steps + SURGE.stepMs - SURGE.recentMs - SURGE.trailingMs, minutes);
  }

  /**
   * What a closed window held goes: a business with nothing in the buckets still needed is
   * deleted. Older buckets of a business still active stay in its value, unread (every sum
   * reads a range), until its next view rewrites it.
   */
  private evict(): void {
    const cutoff = this.oldestNeeded();
    for (const [bucket, businesses] of this.byBucket) {
      if (bucket >= cutoff) continue;
      for (const businessId of businesses) {
        const buckets = this.views.get(businessId);
        if (buckets !== undefined && buckets[buckets.length - 2]! < cutoff) this.views.delete(businessId);
      }
      this.byBucket.delete(bucket);
    }
  }
}

function parseCandidates(bytes: Buffer | null) {
  try {
    const message = JSON.parse(bytes?.toString() ?? '') as SurgeCandidates;
    if (!Number.isSafeInteger(message.step) || !Array.isArray(message.candidates)) {
      return fail<SurgeCandidates>('invalid surge candidates: step and candidates expected');
    }
    return ok(message);
  } catch (error) {
    return fail<SurgeCandidates>(`invalid JSON: ${(error as Error).message}`);
  }
}

interface TrafficMetrics {
  surgeRatio: Gauge<'rank'>;
  recentViews: Gauge<'rank'>;
  surging: Gauge;
  sustained: Gauge;
  steps: Counter;
}

/**
 * Who of a step's top 10 is surging since when: a business above the alert ratio keeps the
 * step its run began; one below it, or out of the top 10, starts again from nothing.
 */
export function surgingSince(
  top: SurgeEntry[],
  step: number,
  before: ReadonlyMap<string, number>,
): Map<string, number> {
  const since = new Map<string, number>();
  for (const entry of top) {
    if (entry.surge > SURGE.alertRatio) since.set(entry.business_id, before.get(entry.business_id) ?? step);
  }
  return since;
}

class SurgeMerger implements PartitionProcessor<SurgeCandidates> {
  private readonly steps: StepGather<SurgeEntry[]>;
  /** The first step of each surging business's current run (see `surgingSince`). */
  private readonly surging: KeyValueStore<number>;

  constructor(
    task: TaskContext,
    private readonly metrics: TrafficMetrics,
  ) {
    this.steps = new StepGather(task.store('pending'), task.store('reported'));
    this.surging = task.store('surging');
  }

  process(message: SurgeCandidates, _eventTime: number, out: Emitter) {
    const complete = this.steps.add(
      message.step,
      message.source_partition,
      message.source_partitions,
      message.candidates,
    );
    for (const { step, candidates } of complete) this.emitTop(step, topSurges(candidates.flat()), out);
    return ACCEPTED;
  }

  private emitTop(step: number, top: SurgeEntry[], out: Emitter): void {
    const stepDate = new Date(step);
    const hour = bucketOf(stepDate, HOUR_MS);
    const since = surgingSince(top, step, new Map(this.surging.entries()));
    for (const [businessId] of [...this.surging.entries()]) {
      if (!since.has(businessId)) this.surging.delete(businessId);
    }
    for (const [businessId, first] of since) {
      if (this.surging.get(businessId) !== first) this.surging.put(businessId, first);
    }
    top.forEach((entry, index) => {
      const first = since.get(entry.business_id);
      const surging_since = first === undefined ? null : new Date(first);
      out.row(row('top_surges', { hour, step: stepDate, rank: index + 1, ...entry, surging_since }));
    });
    out.stored(step);
    const longest = Math.max(0, ...[...since.values()].map((first) => step - first));
    const sustained = [...since.values()].filter((first) => step - first >= SURGE.alertForMs).length;
    out.afterCommit(() => {
      const { surgeRatio: ratio, recentViews, surging, steps } = this.metrics;
      this.metrics.sustained.set(longest / 1000);
      for (let rank = 1; rank <= SURGE.topN; rank += 1) {
        const entry = top[rank - 1];
        if (entry === undefined) {
          ratio.remove({ rank: String(rank) });
          recentViews.remove({ rank: String(rank) });
        } else {
          ratio.set({ rank: String(rank) }, entry.surge);
          recentViews.set({ rank: String(rank) }, entry.views_60s);
        }
      }
      surging.set(sustained);
      steps.inc();
    });
  }
}

export function createTrafficTopology(
  registry: Registry,
  settings: TrafficSettings,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Topology {
  const registers = [registry];
  const metrics: TrafficMetrics = {
    surgeRatio: new Gauge({
      name: 'traffic_surge_ratio',
      help: 'Surge (views in the last 60 s over the trailing average) of the current global top 10, by rank.',
      labelNames: ['rank'] as const,
      registers,
    }),
    recentViews: new Gauge({
      name: 'traffic_surge_views_60s',
      help: 'Views in the last 60 s of the current global top 10, by rank.',
      labelNames: ['rank'] as const,
      registers,
    }),
    surging: new Gauge({
      name: 'traffic_surging_businesses',
      help: `Businesses of the current top 10 above ${SURGE.alertRatio} times their trailing average at every step for ${SURGE.alertForMs / 1000} s or more.`,
      registers,
    }),
    sustained: new Gauge({
      name: 'traffic_surge_sustained_seconds',
      help: `How long the longest-surging business of the current top 10 has been above ${SURGE.alertRatio} times its trailing average, at every step since.`,
      registers,
    }),
    steps: new Counter({
      name: 'traffic_top_steps_total',
      help: 'Global top-10 steps merged and committed.',
      registers,
    }),
  };
  return {
    name: 'traffic',
    schema: { file: SCHEMA_FILE, keyspace: TRAFFIC_KEYSPACE },
    sources: [
      source<CheckedPageView>({
        topic: TRAFFIC_PAGEVIEWS_TOPIC,
        partitions: 3,
        stateful: true,
        decode: (record) => parsePageView(record.value, eventTimes),
        eventTime: (view) => view.time,
        processor: (task) => new PageViewCounter(task, settings),
      }),
      source<SurgeCandidates>({
        topic: TRAFFIC_SURGE_CANDIDATES_TOPIC,
        // One partition: the merge needs every source partition's candidates in one place.
        partitions: 1,
        stateful: true,
        decode: (record) => parseCandidates(record.value),
        eventTime: (message) => message.step,
        processor: (task) => new SurgeMerger(task, metrics),
      }),
      source<Business>({
        topic: TRAFFIC_BUSINESSES_TOPIC,
        partitions: 3,
        compacted: true,
        stateful: false,
        decode: (record) => parseBusiness(record.value),
        eventTime: () => 0,
        processor: () => ({
          process(business, _eventTime, out) {
            out.row(row('businesses', business));
            return ACCEPTED;
          },
        }),
      }),
    ],
    outputs: [],
  };
}
