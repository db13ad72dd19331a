/**
 * Harmony (stream 1) in the batch service: the top-low-persons and per-bucket jobs, the gauges
 * that show their results, and the query-API routes the dashboards read.
 */
import { Gauge, type Registry } from 'prom-client';
import { DAY_MS, HOUR_MS, SECOND_MS, bucketOf, bucketsBetween } from '../../common/time.ts';
import { SCHEMA_FILE, type HarmonyTables } from './schema.ts';
import { TypedTables, inBatches } from '../../batch/rows.ts';
import {
  route,
  type BatchJob,
  type BatchStream,
  type StreamContext,
  type TimeRange,
} from '../../batch/stream.ts';
import { parseParams, queryParams } from './api.ts';
import {
  bucketStatistics,
  countLowScores,
  droneHours,
  mergeDroneHours,
  hoursCovering,
  latestCompleteBucket,
  rankLowScorers,
  rankingCandidates,
  type BucketStats,
  type DroneActivity,
  type DroneHour,
  type LowScore,
  type LowScorer,
  type ReportFacts,
} from './statistics.ts';

const LATEST_BOARD = 'latest';

const fullName = (row: { first_name: string; last_name: string }) => `${row.first_name} ${row.last_name}`;

/** The harmony tables as the batch jobs read and write them: one partition per query, never a scan. */
export class HarmonyJobStore {
  constructor(private readonly tables: TypedTables<HarmonyTables>) {}

  /** The query once per hour partition, a bounded number at a time; the rows of all of them. */
  private async hourRows<R>(hours: Date[], read: (hour: Date) => Promise<R[]>): Promise<R[]> {
    return (await inBatches(hours, read)).flat();
  }

  async lowScores(hours: Date[], from: Date, to: Date, threshold: number): Promise<LowScore[]> {
    const columns = ['person_id', 'first_name', 'last_name', 'harmony_score', 'event_time'] as const;
    const rows = await this.hourRows(hours, (hour) =>
      this.tables.select('low_scores_by_hour', columns, 'WHERE hour = ?', [hour]),
    );
    return rows
      .map((row) => ({
        person_id: row.person_id,
        name: fullName(row),
        harmony_score: row.harmony_score,
        event_time: row.event_time,
      }))
      .filter(
        (score) => score.event_time >= from && score.event_time < to && score.harmony_score < threshold,
      );
  }

  /** Each person's average score over [from, to), from their own score-history partition. */
  async averageScores(personIds: string[], from: Date, to: Date): Promise<Map<string, number>> {
    const averages = await inBatches(personIds, async (personId) => {
      const scores = await this.tables.select(
        'person_scores',
        ['harmony_score'],
        'WHERE person_id = ? AND event_time >= ? AND event_time < ?',
        [personId, from, to],
      );
      const sum = scores.reduce((total, score) => total + score.harmony_score, 0);
      return [personId, sum / scores.length] as const;
    });
    return new Map(averages);
  }

  async reportFacts(hours: Date[], from: Date, to: Date): Promise<ReportFacts[]> {
    return this.hourRows(hours, (hour) =>
      this.tables.select(
        'reports_by_hour',
        ['event_time', 'persons_count', 'low_count', 'score_sum'],
        'WHERE hour = ? AND event_time >= ? AND event_time < ?',
        [hour, from, to],
      ),
    );
  }

  /** Every report of one hour, as the drone job needs them. */
  async hourReports(hour: Date) {
    return this.tables.select(
      'reports_by_hour',
      ['event_time', 'drone_id', 'lat', 'lon', 'low_count'],
      'WHERE hour = ?',
      [hour],
    );
  }

  async writeDroneHours(drones: DroneHour[], computedAt: Date): Promise<void> {
    await this.tables.upsert(
      'drone_activity_by_hour',
      drones.map((drone) => ({ ...drone, computed_at: computedAt })),
    );
  }

  async writeLeaderboard(
    board: string,
    leaders: LowScorer[],
    context: { from: Date; to: Date; threshold: number; size: number; computedAt: Date },
  ): Promise<void> {
    await this.tables.upsert(
      'top_low_persons',
      leaders.map((leader) => ({
        board,
        rank: leader.rank,
        person_id: leader.person_id,
        name: leader.name,
        low_count: leader.low_count,
        avg_score: leader.avg_score,
        window_start: context.from,
        window_end: context.to,
        threshold: context.threshold,
        computed_at: context.computedAt,
      })),
    );
    // Fewer leaders than before: the ranks below them must not show a stale person.
    for (let rank = leaders.length + 1; rank <= context.size; rank += 1) {
      await this.tables.delete('top_low_persons', 'WHERE board = ? AND rank = ?', [board, rank]);
    }
  }

  async writeBucketStats(bucketMs: number, buckets: BucketStats[], computedAt: Date): Promise<void> {
    await this.tables.upsert(
      'report_stats',
      buckets.map((bucket) => ({
        bucket_seconds: bucketMs / SECOND_MS,
        hour: bucketOf(bucket.bucket_start, HOUR_MS),
        ...bucket,
        computed_at: computedAt,
      })),
    );
  }
}

export interface ReportRow {
  event_time: Date;
  report_id: string;
  drone_id: string;
  lat: number;
  lon: number;
  persons_count: number;
  low_count: number;
  avg_score: number;
}

/** Reads for the query API: each one partition at a time, bounded by the caller's range and limit. */
export class HarmonyQueries {
  constructor(private readonly tables: TypedTables<HarmonyTables>) {}

  /**
   * Newest first, reading partitions backwards from `to` until `limit` reports are found: hours
   * of every report, or with a drone filter the days of that drone's own table, so the rows
   * read are the rows answered (plus at most one empty read per hour, or day, of the range).
   */
  async recentReports(from: Date, to: Date, limit: number, droneId?: string): Promise<ReportRow[]> {
    if (droneId !== undefined) return this.droneReports(droneId, from, to, limit);
    const columns = [
      'event_time',
      'report_id',
      'drone_id',
      'lat',
      'lon',
      'persons_count',
      'low_count',
      'score_sum',
    ] as const;
    const found: ReportRow[] = [];
    // Newest partition first: the answer is the newest reports, and reading stops at `limit`.
    for (const hour of bucketsBetween(from.getTime(), to.getTime(), HOUR_MS).reverse()) {
      const rows = await this.tables.select(
        'reports_by_hour',
        columns,
        'WHERE hour = ? AND event_time >= ? AND event_time < ? ORDER BY event_time DESC LIMIT ?',
        [new Date(hour), from, to, limit - found.length],
      );
      for (const { score_sum, ...row } of rows)
        found.push({ ...row, avg_score: score_sum / row.persons_count });
      if (found.length >= limit) return found;
    }
    return found;
  }

  private async droneReports(droneId: string, from: Date, to: Date, limit: number): Promise<ReportRow[]> {
    const columns = [
      'event_time',
      'report_id',
      'lat',
      'lon',
      'persons_count',
      'low_count',
      'score_sum',
    ] as const;
    const found: ReportRow[] = [];
    for (const day of bucketsBetween(from.getTime(), to.getTime(), DAY_MS).reverse()) {
      const rows = await this.tables.select(
        'reports_by_drone',
        columns,
        'WHERE drone_id = ? AND day = ? AND event_time >= ? AND event_time < ? LIMIT ?',
        [droneId, new Date(day), from, to, limit - found.length],
      );
      for (const { score_sum, ...row } of rows) {
        found.push({ ...row, drone_id: droneId, avg_score: score_sum / row.persons_count });
      }
      if (found.length >= limit) return found;
    }
    return found;
  }

  async personScores(personId: string, from: Date, to: Date, limit: number) {
    const rows = await this.tables.select(
      'person_scores',
      ['event_time', 'report_id', 'first_name', 'last_name', 'harmony_score', 'drone_id'],
      'WHERE person_id = ? AND event_time >= ? AND event_time < ? LIMIT ?',
      [personId, from, to, limit],
    );
    return rows.map((row) => ({
      event_time: row.event_time,
      report_id: row.report_id,
      name: fullName(row),
      harmony_score: row.harmony_score,
      drone_id: row.drone_id,
    }));
  }

  /** The leaderboard with each person's latest scores, oldest first, for the panel's strip. */
  async leaderboard(board: string, recentScores: number) {
    const leaders = await this.tables.select(
      'top_low_persons',
      ['rank', 'person_id', 'name', 'low_count', 'avg_score', 'window_start', 'window_end', 'computed_at'],
      'WHERE board = ?',
      [board],
    );
    return Promise.all(
      leaders.map(async ({ window_start, window_end, computed_at, ...leader }) => {
        const recent = await this.tables.select(
          'person_scores',
          ['harmony_score'],
          'WHERE person_id = ? LIMIT ?',
          [leader.person_id, recentScores],
        );
        return {
          ...leader,
          recent_scores: recent
            .map((score) => score.harmony_score)
            .reverse()
            .join(','),
          window_start,
          window_end,
          computed_at,
        };
      }),
    );
  }

  async reportStats(bucketSeconds: number, from: Date, to: Date) {
    const rows = await inBatches(hoursCovering(from, to), (hour) =>
      this.tables.select(
        'report_stats',
        [
          'bucket_start',
          'reports',
          'persons',
          'low_persons',
          'avg_score',
          'avg_persons_per_report',
          'avg_low_persons_per_report',
        ],
        'WHERE bucket_seconds = ? AND hour = ? AND bucket_start >= ? AND bucket_start < ?',
        [bucketSeconds, hour, from, to],
      ),
    );
    return rows.flat();
  }

  /**
   * Each drone's latest position, reports and alerts in the hours covering the range, from the
   * drone job's hourly rows: at most a few hundred rows per hour, however many reports there were.
   */
  async droneActivity(from: Date, to: Date): Promise<DroneActivity[]> {
    const hours = await inBatches(hoursCovering(from, to), (hour) =>
      this.tables.select(
        'drone_activity_by_hour',
        ['drone_id', 'reports', 'alerts', 'last_seen', 'lat', 'lon'],
        'WHERE hour = ?',
        [hour],
      ),
    );
    return mergeDroneHours(hours.flat());
  }
}

export interface Leaderboard {
  board: string;
  window_start: Date;
  window_end: Date;
  threshold: number;
  persons: LowScorer[];
}

/** The persons most often scoring below the threshold in the range, written to top_low_persons. */
export async function topLowPersonsJob(
  store: HarmonyJobStore,
  board: string,
  range: TimeRange,
  settings: { threshold: number; size: number },
): Promise<Leaderboard> {
  const hours = hoursCovering(range.from, range.to);
  const counts = countLowScores(await store.lowScores(hours, range.from, range.to, settings.threshold));
  const candidates = rankingCandidates(counts.values(), settings.size);
  const averages = await store.averageScores(
    candidates.map((candidate) => candidate.person_id),
    range.from,
    range.to,
  );
  const persons = rankLowScorers(
    candidates,
    (personId) => averages.get(personId) ?? Number.NaN,
    settings.size,
  );
  await store.writeLeaderboard(board, persons, { ...range, ...settings, computedAt: new Date() });
  return { board, window_start: range.from, window_end: range.to, threshold: settings.threshold, persons };
}

/** Per-bucket averages over the range (from aligned down to a bucket start), written to report_stats. */
export async function reportStatsJob(
  store: HarmonyJobStore,
  range: TimeRange,
  bucketMs: number,
): Promise<BucketStats[]> {
  const from = bucketOf(range.from, bucketMs);
  const facts = await store.reportFacts(hoursCovering(from, range.to), from, range.to);
  const buckets = bucketStatistics(facts, bucketMs);
  await store.writeBucketStats(bucketMs, buckets, new Date());
  return buckets;
}

/** The gauges showing the jobs' latest results. */
function harmonyGauges(registry: Registry) {
  const registers = [registry];
  // Ids only: a label lives in Prometheus' storage, and names are personal data (the query API has them).
  const leaderLabels = ['rank', 'person_id'] as const;
  return {
    leaderLowScores: new Gauge({
      name: 'harmony_top_low_person_low_scores',
      help: 'Low scores in the window of each person in the low-harmony top list (at most top-size series).',
      labelNames: leaderLabels,
      registers,
    }),
    leaderAverageScore: new Gauge({
      name: 'harmony_top_low_person_average_score',
      help: 'Average score in the window of each person in the low-harmony top list.',
      labelNames: leaderLabels,
      registers,
    }),
    bucketReports: new Gauge({
      name: 'harmony_bucket_reports',
      help: 'Reports in the latest complete event-time bucket.',
      registers,
    }),
    bucketAverageScore: new Gauge({
      name: 'harmony_bucket_average_score',
      help: 'Average harmony score in the latest complete event-time bucket.',
      registers,
    }),
    bucketPersonsPerReport: new Gauge({
      name: 'harmony_bucket_persons_per_report',
      help: 'Average persons per report in the latest complete event-time bucket.',
      registers,
    }),
    bucketLowPersonsPerReport: new Gauge({
      name: 'harmony_bucket_low_persons_per_report',
      help: 'Average persons scoring low per report in the latest complete event-time bucket.',
      registers,
    }),
  };
}

type HarmonyGauges = ReturnType<typeof harmonyGauges>;

function showLeaderboard(gauges: HarmonyGauges, leaderboard: Leaderboard): void {
  // Reset first: whoever left the list must leave the gauges too, keeping the series bounded.
  gauges.leaderLowScores.reset();
  gauges.leaderAverageScore.reset();
  for (const person of leaderboard.persons) {
    const labels = { rank: String(person.rank), person_id: person.person_id };
    gauges.leaderLowScores.set(labels, person.low_count);
    gauges.leaderAverageScore.set(labels, person.avg_score);
  }
}

function showBuckets(gauges: HarmonyGauges, buckets: BucketStats[], bucketMs: number, now: Date): void {
  const latest = latestCompleteBucket(buckets, bucketMs, now);
  if (latest === undefined) return;
  gauges.bucketReports.set(latest.reports);
  gauges.bucketAverageScore.set(latest.avg_score);
  gauges.bucketPersonsPerReport.set(latest.avg_persons_per_report);
  gauges.bucketLowPersonsPerReport.set(latest.avg_low_persons_per_report);
}

/** The settings of harmony's jobs (HARMONY_* in the README's table). */
export interface HarmonyBatchSettings {
  lowScoreThreshold: number;
  topSize: number;
  topWindowMs: number;
  bucketMs: number;
  lookbackMs: number;
}

function harmonyJobs(config: HarmonyBatchSettings, { keyspace, store, registry }: StreamContext): BatchJob[] {
  const jobStore = new HarmonyJobStore(new TypedTables<HarmonyTables>(store, keyspace));
  const gauges = harmonyGauges(registry);
  return [
    {
      // A scheduled run keeps the rolling window's board; a recomputed range gets a board of its own.
      name: 'top_low_persons',
      async run({ now, range }) {
        const board =
          range === undefined ? LATEST_BOARD : `${range.from.toISOString()}/${range.to.toISOString()}`;
        const window = range ?? { from: new Date(now.getTime() - config.topWindowMs), to: now };
        const leaderboard = await topLowPersonsJob(jobStore, board, window, {
          threshold: config.lowScoreThreshold,
          size: config.topSize,
        });
        showLeaderboard(gauges, leaderboard);
        return { result: leaderboard, summary: { board, leaders: leaderboard.persons.length } };
      },
    },
    {
      // Whole hours: an hour's rows are absolute values, so recomputing one is always safe.
      name: 'drone_activity',
      async run({ now, range }) {
        const window = range ?? { from: new Date(now.getTime() - config.lookbackMs), to: now };
        const hours = hoursCovering(window.from, window.to);
        const computed = await inBatches(hours, async (hour) => {
          const drones = droneHours(hour, await jobStore.hourReports(hour));
          await jobStore.writeDroneHours(drones, now);
          return drones;
        });
        const drones = new Set(computed.flat().map((drone) => drone.drone_id)).size;
        return { result: computed.flat(), summary: { hours: hours.length, drones } };
      },
    },
    {
      name: 'report_stats',
      async run({ now, range }) {
        const window = range ?? { from: new Date(now.getTime() - config.lookbackMs), to: now };
        const buckets = await reportStatsJob(jobStore, window, config.bucketMs);
        showBuckets(gauges, buckets, config.bucketMs, now);
        return { result: buckets, summary: { buckets: buckets.length } };
      },
    },
  ];
}

function harmonyRoutes({ keyspace, store }: StreamContext) {
  const queries = new HarmonyQueries(new TypedTables<HarmonyTables>(store, keyspace));
  return [
    route({
      path: '/reports',
      query: ['from', 'to', 'limit', 'drone'],
      summary: 'recent reports, newest first',
      parse: ({ query }) => parseParams(queryParams.reports, query),
      read: ({ range, limit, drone }) => queries.recentReports(range.from, range.to, limit, drone),
    }),
    route({
      path: '/persons/:person/scores',
      query: ['from', 'to', 'limit'],
      summary: 'one person’s score history, newest first',
      parse: ({ query, params }) =>
        parseParams(queryParams.personScores, { ...query, person: params['person'] }),
      read: ({ person, range, limit }) => queries.personScores(person, range.from, range.to, limit),
    }),
    route({
      path: '/leaderboard',
      query: ['board', 'recent'],
      summary: 'the low-harmony top list with recent scores',
      parse: ({ query }) => parseParams(queryParams.leaderboard, query),
      read: ({ board, recent }) => queries.leaderboard(board, recent),
    }),
    route({
      path: '/report-stats',
      query: ['from', 'to', 'bucket_seconds'],
      summary: 'per-bucket averages from the batch job',
      parse: ({ query }) => parseParams(queryParams.reportStats, query),
      read: ({ range, bucket_seconds }) => queries.reportStats(bucket_seconds, range.from, range.to),
    }),
    route({
      path: '/drones',
      query: ['from', 'to'],
      summary: 'each drone’s latest position, reports and alerts',
      parse: ({ query }) => parseParams(queryParams.drones, query),
      read: ({ range }) => queries.droneActivity(range.from, range.to),
    }),
  ];
}

export function harmonyBatch(settings: HarmonyBatchSettings): BatchStream {
  return {
    name: 'harmony',
    // The batch jobs write tables of this schema: applied here too, so the batch may start first.
    prepare: ({ store }) => store.applySchema(SCHEMA_FILE, 'harmony'),
    jobs: (context) => harmonyJobs(settings, context),
    routes: harmonyRoutes,
  };
}
