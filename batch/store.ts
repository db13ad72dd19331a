import type { CassandraStore } from '../common/cassandra.ts';
import {
  hoursCovering,
  type BucketStats,
  type LowScore,
  type LowScorer,
  type ReportFacts,
} from './statistics.ts';

/** Bounds the reads in flight when a job reads many partitions at once. */
const READ_CONCURRENCY = 32;

async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let first = 0; first < items.length; first += READ_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(first, first + READ_CONCURRENCY).map(work))));
  }
  return results;
}

const HOUR_MS = 3_600_000;
/** More reports than any hour partition holds at the rates this stack is built for. */
const MAX_HOUR_ROWS = 100_000;

/** Every row of one partition query, page by page. */
async function readAll(store: CassandraStore, query: string, params: unknown[]) {
  const rows = [];
  for await (const row of await store.client.execute(query, params, { prepare: true, fetchSize: 5000 })) {
    rows.push(row);
  }
  return rows;
}

/** What both readers share: one keyspace, queries that page through one partition each. */
abstract class HarmonyReader {
  constructor(
    protected readonly store: CassandraStore,
    protected readonly keyspace: string,
  ) {}

  protected rows(query: string, params: unknown[]) {
    return readAll(this.store, query, params);
  }

  /** The query once per hour partition, a bounded number at a time; the rows of all of them. */
  protected async hourRows(hours: Date[], query: string, params: (hour: Date) => unknown[]) {
    return (await inBatches(hours, (hour) => this.rows(query, params(hour)))).flat();
  }
}

/** The harmony tables as the batch jobs read and write them: one partition per query, never a scan. */
export class HarmonyTables extends HarmonyReader {
  async lowScores(hours: Date[], from: Date, to: Date, threshold: number): Promise<LowScore[]> {
    const query = `SELECT person_id, first_name, last_name, harmony_score, event_time
      FROM ${this.keyspace}.low_scores_by_hour WHERE hour = ?`;
    return (await this.hourRows(hours, query, (hour) => [hour]))
      .map((row) => ({
        person_id: row['person_id'] as string,
        name: `${row['first_name'] as string} ${row['last_name'] as string}`,
        harmony_score: row['harmony_score'] as number,
        event_time: row['event_time'] as Date,
      }))
      .filter(
        (score) => score.event_time >= from && score.event_time < to && score.harmony_score < threshold,
      );
  }

  /** Each person's average score over [from, to), from their own score-history partition. */
  async averageScores(personIds: string[], from: Date, to: Date): Promise<Map<string, number>> {
    const query = `SELECT harmony_score FROM ${this.keyspace}.person_scores
      WHERE person_id = ? AND event_time >= ? AND event_time < ?`;
    const averages = await inBatches(personIds, async (personId) => {
      const scores = (await this.rows(query, [personId, from, to])).map(
        (row) => row['harmony_score'] as number,
      );
      return [personId, scores.reduce((sum, score) => sum + score, 0) / scores.length] as const;
    });
    return new Map(averages);
  }

  async reportFacts(hours: Date[], from: Date, to: Date): Promise<ReportFacts[]> {
    const query = `SELECT event_time, persons_count, low_count, score_sum FROM ${this.keyspace}.reports_by_hour
      WHERE hour = ? AND event_time >= ? AND event_time < ?`;
    const rows = await this.hourRows(hours, query, (hour) => [hour, from, to]);
    return rows.map((row) => ({
      event_time: row['event_time'] as Date,
      persons_count: row['persons_count'] as number,
      low_count: row['low_count'] as number,
      score_sum: row['score_sum'] as number,
    }));
  }

  async writeLeaderboard(
    board: string,
    leaders: LowScorer[],
    context: { from: Date; to: Date; threshold: number; size: number; computedAt: Date },
  ): Promise<void> {
    await this.store.upsert(
      leaders.map((leader) => ({
        table: 'top_low_persons',
        values: {
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
        },
      })),
    );
    // Fewer leaders than before: the ranks below them must not show a stale person.
    for (let rank = leaders.length + 1; rank <= context.size; rank += 1) {
      await this.store.client.execute(
        `DELETE FROM ${this.keyspace}.top_low_persons WHERE board = ? AND rank = ?`,
        [board, rank],
        { prepare: true },
      );
    }
  }

  async writeBucketStats(bucketMs: number, buckets: BucketStats[], computedAt: Date): Promise<void> {
    await this.store.upsert(
      buckets.map((bucket) => ({
        table: 'report_stats',
        values: {
          bucket_seconds: bucketMs / 1000,
          hour: new Date(Math.floor(bucket.bucket_start.getTime() / HOUR_MS) * HOUR_MS),
          ...bucket,
          computed_at: computedAt,
        },
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
export class HarmonyQueries extends HarmonyReader {
  /** Newest first, reading hour partitions backwards from `to` until `limit` reports are found. */
  async recentReports(from: Date, to: Date, limit: number, droneId?: string): Promise<ReportRow[]> {
    const query = `SELECT event_time, report_id, drone_id, lat, lon, persons_count, low_count, score_sum
      FROM ${this.keyspace}.reports_by_hour WHERE hour = ? AND event_time >= ? AND event_time < ?
      ORDER BY event_time DESC LIMIT ?`;
    const found: ReportRow[] = [];
    for (
      let hour = Math.floor((to.getTime() - 1) / HOUR_MS) * HOUR_MS;
      hour >= from.getTime() - HOUR_MS + 1;
      hour -= HOUR_MS
    ) {
      // A drone filter is applied to the rows read, so its hours are read whole, page by page.
      const perPartition = droneId === undefined ? limit : MAX_HOUR_ROWS;
      for (const row of await this.rows(query, [new Date(hour), from, to, perPartition])) {
        if (droneId !== undefined && row['drone_id'] !== droneId) continue;
        found.push({
          event_time: row['event_time'] as Date,
          report_id: row['report_id'] as string,
          drone_id: row['drone_id'] as string,
          lat: row['lat'] as number,
          lon: row['lon'] as number,
          persons_count: row['persons_count'] as number,
          low_count: row['low_count'] as number,
          avg_score: (row['score_sum'] as number) / (row['persons_count'] as number),
        });
        if (found.length >= limit) return found;
      }
    }
    return found;
  }

  async personScores(personId: string, from: Date, to: Date, limit: number) {
    const rows = await this.rows(
      `SELECT event_time, report_id, first_name, last_name, harmony_score, drone_id FROM ${this.keyspace}.person_scores
        WHERE person_id = ? AND event_time >= ? AND event_time < ? LIMIT ?`,
      [personId, from, to, limit],
    );
    return rows.map((row) => ({
      event_time: row['event_time'] as Date,
      report_id: row['report_id'] as string,
      name: `${row['first_name'] as string} ${row['last_name'] as string}`,
      harmony_score: row['harmony_score'] as number,
      drone_id: row['drone_id'] as string,
    }));
  }

  /** The leaderboard with each person's latest scores, oldest first, for the panel's strip. */
  async leaderboard(board: string, recentScores: number) {
    const leaders = await this.rows(
      `SELECT rank, person_id, name, low_count, avg_score, window_start, window_end, computed_at
        FROM ${this.keyspace}.top_low_persons WHERE board = ?`,
      [board],
    );
    return Promise.all(
      leaders.map(async (row) => {
        const recent = await this.rows(
          `SELECT harmony_score FROM ${this.keyspace}.person_scores WHERE person_id = ? LIMIT ?`,
          [row['person_id'], recentScores],
        );
        return {
          rank: row['rank'] as number,
          person_id: row['person_id'] as string,
          name: row['name'] as string,
          low_count: row['low_count'] as number,
          avg_score: row['avg_score'] as number,
          recent_scores: recent
            .map((score) => score['harmony_score'] as number)
            .reverse()
            .join(','),
          window_start: row['window_start'] as Date,
          window_end: row['window_end'] as Date,
          computed_at: row['computed_at'] as Date,
        };
      }),
    );
  }

  async reportStats(bucketSeconds: number, from: Date, to: Date) {
    const query = `SELECT bucket_start, reports, persons, low_persons, avg_score, avg_persons_per_report,
        avg_low_persons_per_report FROM ${this.keyspace}.report_stats
      WHERE bucket_seconds = ? AND hour = ? AND bucket_start >= ? AND bucket_start < ?`;
    const rows = await this.hourRows(hoursCovering(from, to), query, (hour) => [
      bucketSeconds,
      hour,
      from,
      to,
    ]);
    return rows.map((row) => ({
      bucket_start: row['bucket_start'] as Date,
      reports: row['reports'] as number,
      persons: row['persons'] as number,
      low_persons: row['low_persons'] as number,
      avg_score: row['avg_score'] as number,
      avg_persons_per_report: row['avg_persons_per_report'] as number,
      avg_low_persons_per_report: row['avg_low_persons_per_report'] as number,
    }));
  }

  /** Each drone's latest position in the range, with its reports and the alerts they raised. */
  async droneActivity(from: Date, to: Date) {
    const query = `SELECT event_time, drone_id, lat, lon, low_count FROM ${this.keyspace}.reports_by_hour
      WHERE hour = ? AND event_time >= ? AND event_time < ?`;
    const drones = new Map<
      string,
      { drone_id: string; lat: number; lon: number; last_seen: Date; reports: number; alerts: number }
    >();
    for (const row of await this.hourRows(hoursCovering(from, to), query, (hour) => [hour, from, to])) {
      const id = row['drone_id'] as string;
      const time = row['event_time'] as Date;
      const drone = drones.get(id) ?? {
        drone_id: id,
        lat: 0,
        lon: 0,
        last_seen: new Date(0),
        reports: 0,
        alerts: 0,
      };
      drone.reports += 1;
      if ((row['low_count'] as number) > 0) drone.alerts += 1;
      if (time >= drone.last_seen) {
        drone.last_seen = time;
        drone.lat = row['lat'] as number;
        drone.lon = row['lon'] as number;
      }
      drones.set(id, drone);
    }
    return [...drones.values()].sort((a, b) => a.drone_id.localeCompare(b.drone_id));
  }
}
