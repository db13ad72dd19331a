/**
 * Hashtags and places (stream 4), partitioned by hashtag as the original was.
 *
 * Stage one, per partition of posts.raw (keyed by post): a post is checked, and becomes one
 * record per distinct normalised hashtag on the uses topic, keyed by the hashtag, and one record
 * on the places topic, keyed by its place. Those records commit in the same transaction as the
 * posts' offsets, so the repartition is exactly-once: a crash replays posts whose records were
 * aborted with them, never ones already committed.
 *
 * Stage two, per partition of the uses topic: a hashtag's posts are counted in 10 s buckets and
 * in minutes of event time. When a minute closes, its counts and the hashtags' totals become
 * rows; when a 10 s step t closes, the partition's top 10 of [t - 5 min, t) and its most trending
 * hashtags go to the candidates topic. Stage three, on that single-partition topic, merges every
 * partition's candidates of t into the global top 10 (as traffic's surge merge does): a hashtag
 * lives in one partition, so the global top 10 is among the partitions' top 10s.
 *
 * Stage four, per partition of the places topic: posts per city per minute, as rows when the
 * minute closes.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { bucketStart, bucketOf, DAY_MS, HOUR_MS, MINUTE_MS } from '../../common/time.ts';
import {
  compareTop,
  compareTrends,
  HASHTAG_USES_TOPIC,
  HASHTAGS_KEYSPACE,
  parseInternal,
  parsePost,
  PLACE_POSTS_TOPIC,
  placeKey,
  POSTS_TOPIC,
  TOP,
  TOP_CANDIDATES_TOPIC,
  TREND,
  trendRatio,
  type CheckedPost,
  type HashtagsTables,
  type HashtagUse,
  type PlacePost,
  type TopCandidates,
  type TopEntry,
  type TrendEntry,
  type Upstream,
  UPSTREAM_FIELDS,
  SCHEMA_FILE,
} from './schema.ts';
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
import { StepGather, UpstreamWatermark, WindowCloser } from '../../processor/dsl/windows.ts';

export interface HashtagsSettings {
  /** How long after a window's end its events may still arrive and be counted. */
  graceMs: number;
}

const row = tableRows<HashtagsTables>();

/** Stage one: a post to its hashtags' and its place's partitions. */
class PostSplitter implements PartitionProcessor<CheckedPost> {
  constructor(private readonly task: TaskContext) {}

  process(post: CheckedPost, eventTime: number, out: Emitter) {
    const upstream: Upstream = {
      post_id: post.post_id,
      time: eventTime,
      source_partition: this.task.partition,
      source_partitions: this.task.partitionCount,
    };
    for (const hashtag of post.hashtags) {
      const use: HashtagUse = { hashtag, ...upstream };
      out.record(HASHTAG_USES_TOPIC, hashtag, JSON.stringify(use));
    }
    const { city, country, lat, lon } = post.place;
    const placed: PlacePost = { city, country, lat, lon, ...upstream };
    out.record(PLACE_POSTS_TOPIC, placeKey(post.place), JSON.stringify(placed));
    return ACCEPTED;
  }
}

/**
 * Counts per bucket, kept twice: in a store keyed `<bucket start> <key>` (one small changelog
 * record per key and batch) and in an index by bucket (rebuilt from the store after a restore)
 * that windows read.
 */
class BucketCounts {
  private readonly byBucket = new Map<number, Map<string, number>>();

  constructor(private readonly store: KeyValueStore<number>) {
    for (const [key, count] of store.entries()) {
      const at = key.indexOf(' ');
      this.index(Number(key.slice(0, at))).set(key.slice(at + 1), count);
    }
  }

  private index(bucket: number): Map<string, number> {
    let counts = this.byBucket.get(bucket);
    if (counts === undefined) {
      counts = new Map();
      this.byBucket.set(bucket, counts);
    }
    return counts;
  }

  add(bucket: number, key: string): void {
    const counts = this.index(bucket);
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    this.store.put(`${bucket} ${key}`, count);
  }

  in(bucket: number): ReadonlyMap<string, number> {
    return this.byBucket.get(bucket) ?? new Map();
  }

  /** Forgets every bucket before `cutoff`. */
  evictBefore(cutoff: number): void {
    for (const [bucket, counts] of this.byBucket) {
      if (bucket >= cutoff) continue;
      for (const key of counts.keys()) this.store.delete(`${bucket} ${key}`);
      this.byBucket.delete(bucket);
    }
  }
}

/** The best `TOP.topN` of some entries, in ranking order. */
export function topOf(entries: Iterable<TopEntry>): TopEntry[] {
  return [...entries].sort(compareTop).slice(0, TOP.topN);
}

export function trendingOf(entries: Iterable<TrendEntry>): TrendEntry[] {
  return [...entries].sort(compareTrends).slice(0, TREND.reported);
}

/**
 * The baseline of the trend ratio at step t (see `TREND`): the whole minutes it averages over,
 * or undefined while the stream has seen too little of them. `firstWholeMinute` is the first
 * minute the stream saw from its start.
 */
export function baselineMinutes(
  step: number,
  firstWholeMinute: number,
): { from: number; to: number } | undefined {
  const to = bucketStart(step - TOP.windowMs, MINUTE_MS);
  const from = Math.max(to - TREND.baselineMs, firstWholeMinute);
  return to - from >= TREND.minHistoryMs ? { from, to } : undefined;
}

/** Stage two: posts per hashtag, per minute and per step; a partition's candidates per step. */
class HashtagCounter implements PartitionProcessor<HashtagUse> {
  private readonly steps: WindowCloser;
  private readonly minutes: WindowCloser;
  private readonly stepCounts: BucketCounts;
  private readonly minuteCounts: BucketCounts;
  private readonly totals: KeyValueStore<number>;
  private readonly marks: KeyValueStore<number>;
  private readonly upstream: UpstreamWatermark;

  constructor(
    private readonly task: TaskContext,
    settings: HashtagsSettings,
  ) {
    this.marks = task.store<number>('closed');
    this.upstream = new UpstreamWatermark(this.marks);
    this.steps = new WindowCloser(this.marks, 'step', { sizeMs: TOP.stepMs, graceMs: settings.graceMs });
    this.minutes = new WindowCloser(this.marks, 'minute', { sizeMs: MINUTE_MS, graceMs: settings.graceMs });
    this.stepCounts = new BucketCounts(task.store('steps'));
    this.minuteCounts = new BucketCounts(task.store('minutes'));
    this.totals = task.store('totals');
  }

  process(use: HashtagUse, eventTime: number, out: Emitter) {
    const watermark = this.upstream.observe(use.source_partition, use.source_partitions, eventTime);
    // The step is the finest window: a use whose step has closed is late for its minute too.
    const late = this.steps.lateness(eventTime);
    if (late !== undefined) return { accepted: false as const, late };
    const minute = bucketStart(eventTime, MINUTE_MS);
    // The stream's first minute is seen only in part: baselines start at the one after it.
    if (this.marks.get('first-whole-minute') === undefined)
      this.marks.put('first-whole-minute', minute + MINUTE_MS);
    this.stepCounts.add(this.steps.windowStart(eventTime), use.hashtag);
    this.minuteCounts.add(minute, use.hashtag);
    if (watermark > Number.NEGATIVE_INFINITY) this.close(watermark, out);
    return ACCEPTED;
  }

  /** Closes the windows the watermark has passed (plus the grace): rows and candidates. */
  private close(watermark: number, out: Emitter): void {
    const minutes = this.minutes.close(watermark);
    if (minutes !== undefined) {
      for (let end = minutes.first; end <= minutes.last; end += MINUTE_MS)
        this.emitMinute(end - MINUTE_MS, out);
    }
    const steps = this.steps.close(watermark);
    if (steps !== undefined) {
      for (let step = steps.first; step <= steps.last; step += TOP.stepMs) {
        const candidates = this.candidatesAt(step);
        // Empty steps are skipped, but the newest closed step is always reported: stage three
        // learns from it that this partition is done with every step up to it.
        if (candidates.top.length > 0 || step === steps.last) this.emit(candidates, out);
      }
    }
    if (minutes !== undefined || steps !== undefined) this.evict();
  }

  private emitMinute(minute: number, out: Emitter): void {
    const minuteDate = new Date(minute);
    const day = bucketOf(minuteDate, DAY_MS);
    for (const [hashtag, posts] of this.minuteCounts.in(minute)) {
      const total = (this.totals.get(hashtag) ?? 0) + posts;
      this.totals.put(hashtag, total);
      out.row(row('hashtag_minutes', { hashtag, day, minute: minuteDate, posts }));
      out.row(row('hashtag_totals', { hashtag, posts: total }));
    }
    out.stored(minute + MINUTE_MS / 2);
  }

  private candidatesAt(step: number): TopCandidates {
    const window = new Map<string, number>();
    for (let bucket = step - TOP.windowMs; bucket < step; bucket += TOP.stepMs) {
      for (const [hashtag, posts] of this.stepCounts.in(bucket))
        window.set(hashtag, (window.get(hashtag) ?? 0) + posts);
    }
    const top = topOf([...window].map(([hashtag, posts]) => ({ hashtag, posts })));
    return {
      step,
      source_partition: this.task.partition,
      source_partitions: this.task.partitionCount,
      top,
      trending: this.trendingAt(step, window),
    };
  }

  private trendingAt(step: number, window: ReadonlyMap<string, number>): TrendEntry[] {
    const first = this.marks.get('first-whole-minute');
    const minutes = first === undefined ? undefined : baselineMinutes(step, first);
    if (minutes === undefined) return [];
    const before = new Map<string, number>();
    for (let minute = minutes.from; minute < minutes.to; minute += MINUTE_MS) {
      for (const [hashtag, posts] of this.minuteCounts.in(minute)) {
        if (window.has(hashtag)) before.set(hashtag, (before.get(hashtag) ?? 0) + posts);
      }
    }
    const fiveMinuteSpans = (minutes.to - minutes.from) / TOP.windowMs;
    const entries: TrendEntry[] = [];
    for (const [hashtag, posts5m] of window) {
      const baseline = (before.get(hashtag) ?? 0) / fiveMinuteSpans;
      entries.push({ hashtag, posts_5m: posts5m, baseline, ratio: trendRatio(posts5m, baseline) });
    }
    return trendingOf(entries);
  }

  private emit(candidates: TopCandidates, out: Emitter): void {
    out.record(TOP_CANDIDATES_TOPIC, null, JSON.stringify(candidates));
  }

  /** Buckets no window still to close can read go, with their store entries. */
  private evict(): void {
    const steps = this.steps.closedUpTo;
    const minutes = this.minutes.closedUpTo;
    if (steps === undefined || minutes === undefined) return;
    const nextStep = steps + TOP.stepMs;
    this.stepCounts.evictBefore(nextStep - TOP.windowMs);
    this.minuteCounts.evictBefore(
      Math.min(minutes, bucketStart(nextStep - TOP.windowMs, MINUTE_MS) - TREND.baselineMs),
    );
  }
}

interface HashtagsMetrics {
  topPosts: Gauge<'rank'>;
  trendRatio: Gauge<'hashtag'>;
  steps: Counter;
}

/** Stage three: every partition's candidates of a step merged into the global top 10. */
class TopMerger implements PartitionProcessor<TopCandidates> {
  private readonly steps: StepGather<Pick<TopCandidates, 'top' | 'trending'>>;
  /** The hashtags of the trend metric's series now: what to remove when they leave the list. */
  private readonly trendSeries = new Set<string>();

  constructor(
    task: TaskContext,
    private readonly metrics: HashtagsMetrics,
  ) {
    this.steps = new StepGather(task.store('pending'), task.store('reported'));
  }

  process(message: TopCandidates, _eventTime: number, out: Emitter) {
    const complete = this.steps.add(message.step, message.source_partition, message.source_partitions, {
      top: message.top,
      trending: message.trending,
    });
    for (const { step, candidates } of complete) {
      this.emitTop(
        step,
        topOf(candidates.flatMap((partition) => partition.top)),
        trendingOf(candidates.flatMap((partition) => partition.trending)),
        out,
      );
    }
    return ACCEPTED;
  }

  private emitTop(step: number, top: TopEntry[], trending: TrendEntry[], out: Emitter): void {
    const stepDate = new Date(step);
    const hour = bucketOf(stepDate, HOUR_MS);
    top.forEach((entry, index) => {
      out.row(row('top_hashtags', { hour, step: stepDate, rank: index + 1, ...entry }));
    });
    out.stored(step);
    out.afterCommit(() => {
      for (let rank = 1; rank <= TOP.topN; rank += 1) {
        const entry = top[rank - 1];
        if (entry === undefined) this.metrics.topPosts.remove({ rank: String(rank) });
        else this.metrics.topPosts.set({ rank: String(rank) }, entry.posts);
      }
      const now = new Set(trending.map((entry) => entry.hashtag));
      for (const hashtag of this.trendSeries) {
        if (!now.has(hashtag)) {
          this.metrics.trendRatio.remove({ hashtag });
          this.trendSeries.delete(hashtag);
        }
      }
      for (const entry of trending) {
        this.metrics.trendRatio.set({ hashtag: entry.hashtag }, entry.ratio);
        this.trendSeries.add(entry.hashtag);
      }
      this.metrics.steps.inc();
    });
  }
}

/** Stage four: posts per city per minute. */
class PlaceCounter implements PartitionProcessor<PlacePost> {
  private readonly minutes: WindowCloser;
  private readonly counts: BucketCounts;
  /** Each place's coordinates, as its first post gave them: one entry per city ever seen. */
  private readonly positions: KeyValueStore<[number, number]>;
  private readonly upstream: UpstreamWatermark;

  constructor(task: TaskContext, settings: HashtagsSettings) {
    const marks = task.store<number>('closed');
    this.upstream = new UpstreamWatermark(marks);
    this.minutes = new WindowCloser(marks, 'minute', { sizeMs: MINUTE_MS, graceMs: settings.graceMs });
    this.counts = new BucketCounts(task.store('counts'));
    this.positions = task.store('positions');
  }

  process(post: PlacePost, eventTime: number, out: Emitter) {
    const watermark = this.upstream.observe(post.source_partition, post.source_partitions, eventTime);
    const late = this.minutes.lateness(eventTime);
    if (late !== undefined) return { accepted: false as const, late };
    const place = placeKey(post);
    if (this.positions.get(place) === undefined) this.positions.put(place, [post.lat, post.lon]);
    this.counts.add(bucketStart(eventTime, MINUTE_MS), place);
    if (watermark > Number.NEGATIVE_INFINITY) this.close(watermark, out);
    return ACCEPTED;
  }

  private close(watermark: number, out: Emitter): void {
    const minutes = this.minutes.close(watermark);
    if (minutes === undefined) return;
    for (let end = minutes.first; end <= minutes.last; end += MINUTE_MS) {
      const minute = end - MINUTE_MS;
      const minuteDate = new Date(minute);
      const hour = bucketOf(minuteDate, HOUR_MS);
      for (const [place, posts] of this.counts.in(minute)) {
        const [lat, lon] = this.positions.get(place)!;
        // The country is the key's two letters before the '/'; the city may hold anything.
        const country = place.slice(0, 2);
        const city = place.slice(3);
        out.row(row('place_minutes', { hour, minute: minuteDate, country, city, lat, lon, posts }));
      }
      out.stored(minute + MINUTE_MS / 2);
    }
    this.counts.evictBefore(minutes.last);
  }
}

export function createHashtagsTopology(
  registry: Registry,
  settings: HashtagsSettings,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Topology {
  const registers = [registry];
  const metrics: HashtagsMetrics = {
    topPosts: new Gauge({
      name: 'hashtags_top_posts',
      help: `Posts in the last ${TOP.windowMs / 60_000} minutes of event time of the current global top ${TOP.topN} hashtags, by rank.`,
      labelNames: ['rank'] as const,
      registers,
    }),
    trendRatio: new Gauge({
      name: 'hashtags_trend_ratio',
      help:
        `Posts in the last ${TOP.windowMs / 60_000} minutes over the previous hour's average per ${TOP.windowMs / 60_000} minutes, ` +
        `of the ${TREND.reported} most trending hashtags (at most ${TREND.reported} series).`,
      labelNames: ['hashtag'] as const,
      registers,
    }),
    steps: new Counter({
      name: 'hashtags_top_steps_total',
      help: 'Global top-10 steps merged and committed.',
      registers,
    }),
  };
  return {
    name: 'hashtags',
    schema: { file: SCHEMA_FILE, keyspace: HASHTAGS_KEYSPACE },
    sources: [
      source<CheckedPost>({
        topic: POSTS_TOPIC,
        partitions: 3,
        stateful: false,
        decode: (record) => parsePost(record.value, eventTimes),
        eventTime: (post) => post.time,
        processor: (task) => new PostSplitter(task),
      }),
      source<HashtagUse>({
        topic: HASHTAG_USES_TOPIC,
        partitions: 3,
        stateful: true,
        decode: (record) => parseInternal<HashtagUse>(record.value, ['hashtag', ...UPSTREAM_FIELDS]),
        eventTime: (use) => use.time,
        processor: (task) => new HashtagCounter(task, settings),
      }),
      source<TopCandidates>({
        topic: TOP_CANDIDATES_TOPIC,
        // One partition: the merge needs every source partition's candidates in one place.
        partitions: 1,
        stateful: true,
        decode: (record) =>
          parseInternal<TopCandidates>(record.value, [
            'step',
            'source_partition',
            'source_partitions',
            'top',
            'trending',
          ]),
        eventTime: (message) => message.step,
        processor: (task) => new TopMerger(task, metrics),
      }),
      source<PlacePost>({
        topic: PLACE_POSTS_TOPIC,
        partitions: 3,
        stateful: true,
        decode: (record) =>
          parseInternal<PlacePost>(record.value, ['country', 'city', 'lat', 'lon', ...UPSTREAM_FIELDS]),
        eventTime: (post) => post.time,
        processor: (task) => new PlaceCounter(task, settings),
      }),
    ],
    outputs: [],
  };
}
