/**
 * The harmony batch statistics as pure functions over rows read from Cassandra, so the same
 * numbers can be checked against any independent computation.
 */
import { HOUR_MS, bucketStart, bucketsBetween } from '../../common/time.ts';
import type { HarmonyTables } from './schema.ts';

export interface LowScore {
  person_id: string;
  name: string;
  harmony_score: number;
  event_time: Date;
}

export interface LowScoreCount {
  person_id: string;
  name: string;
  low_count: number;
}

export interface LowScorer extends LowScoreCount {
  rank: number;
  /** The person's average over all their scores in the window, not only the low ones. */
  avg_score: number;
}

/** Low scores per person; the name is the one of their latest low score. */
export function countLowScores(scores: LowScore[]): Map<string, LowScoreCount & { latest: number }> {
  const counts = new Map<string, LowScoreCount & { latest: number }>();
  for (const score of scores) {
    const time = score.event_time.getTime();
    const seen = counts.get(score.person_id);
    if (seen === undefined) {
      counts.set(score.person_id, {
        person_id: score.person_id,
        name: score.name,
        low_count: 1,
        latest: time,
      });
      continue;
    }
    seen.low_count += 1;
    if (time > seen.latest) {
      seen.latest = time;
      seen.name = score.name;
    }
  }
  return counts;
}

/**
 * Who can still make the top `size`: everyone counting at least as many low scores as the
 * size-th person. Only their averages are needed to break ties, so only they are read.
 */
export function rankingCandidates(counts: Iterable<LowScoreCount>, size: number): LowScoreCount[] {
  const byCount = [...counts].sort((a, b) => b.low_count - a.low_count);
  const cutoff = byCount[size - 1]?.low_count ?? 0;
  return byCount.filter((person) => person.low_count >= cutoff);
}

/**
 * Averages summed in a different order differ in the last bits; closer than this they are
 * equal, and the person id decides, as it would for exactly equal averages.
 */
export const AVERAGE_TOLERANCE = 1e-9;

/** Most low scores first; ties go to the lower average score, then to the person id. */
export function rankLowScorers(
  candidates: LowScoreCount[],
  averageScore: (personId: string) => number,
  size: number,
): LowScorer[] {
  return candidates
    .map((person) => ({ ...person, avg_score: averageScore(person.person_id) }))
    .sort(
      (a, b) =>
        b.low_count - a.low_count ||
        (Math.abs(a.avg_score - b.avg_score) < AVERAGE_TOLERANCE ? 0 : a.avg_score - b.avg_score) ||
        (a.person_id < b.person_id ? -1 : a.person_id > b.person_id ? 1 : 0),
    )
    .slice(0, size)
    .map((person, index) => ({
      rank: index + 1,
      person_id: person.person_id,
      name: person.name,
      low_count: person.low_count,
      avg_score: person.avg_score,
    }));
}

/** What the statistics need of a report: its `reports_by_hour` facts. */
export type ReportFacts = Pick<
  HarmonyTables['reports_by_hour'],
  'event_time' | 'persons_count' | 'low_count' | 'score_sum'
>;

/** One bucket's statistics: a `report_stats` row without where and when it was written. */
export type BucketStats = Omit<HarmonyTables['report_stats'], 'bucket_seconds' | 'hour' | 'computed_at'>;

/** Per event-time bucket: average score, persons per report, and persons below the threshold per report. */
export function bucketStatistics(reports: ReportFacts[], bucketMs: number): BucketStats[] {
  const buckets = new Map<number, { reports: number; persons: number; low: number; scoreSum: number }>();
  for (const report of reports) {
    const start = bucketStart(report.event_time.getTime(), bucketMs);
    const bucket = buckets.get(start) ?? { reports: 0, persons: 0, low: 0, scoreSum: 0 };
    bucket.reports += 1;
    bucket.persons += report.persons_count;
    bucket.low += report.low_count;
    bucket.scoreSum += report.score_sum;
    buckets.set(start, bucket);
  }
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([start, bucket]) => ({
      bucket_start: new Date(start),
      reports: bucket.reports,
      persons: bucket.persons,
      low_persons: bucket.low,
      avg_score: bucket.scoreSum / bucket.persons,
      avg_persons_per_report: bucket.persons / bucket.reports,
      avg_low_persons_per_report: bucket.low / bucket.reports,
    }));
}

/** The hour partitions that hold [from, to): the only ones a job reads. */
export function hoursCovering(from: Date, to: Date): Date[] {
  return bucketsBetween(from.getTime(), to.getTime(), HOUR_MS).map((hour) => new Date(hour));
}

/** The latest bucket that had ended by `now` and holds reports: the one the gauges show. */
export function latestCompleteBucket(
  buckets: BucketStats[],
  bucketMs: number,
  now: Date,
): BucketStats | undefined {
  return buckets.filter((bucket) => bucket.bucket_start.getTime() + bucketMs <= now.getTime()).at(-1);
}

/** One drone's activity in one hour, as the drone job stores it and the /drones route merges it. */
export type DroneHour = Omit<HarmonyTables['drone_activity_by_hour'], 'computed_at'>;

/** A drone's activity over several hours: the hours' counts summed, the latest position kept. */
export type DroneActivity = Omit<DroneHour, 'hour'>;

/** Each drone's reports, alerts (reports with someone scoring low) and latest position in one hour. */
export function droneHours(
  hour: Date,
  reports: Pick<HarmonyTables['reports_by_hour'], 'event_time' | 'drone_id' | 'lat' | 'lon' | 'low_count'>[],
): DroneHour[] {
  const drones = new Map<string, DroneHour>();
  for (const report of reports) {
    const drone = drones.get(report.drone_id) ?? {
      hour,
      drone_id: report.drone_id,
      reports: 0,
      alerts: 0,
      last_seen: report.event_time,
      lat: report.lat,
      lon: report.lon,
    };
    drone.reports += 1;
    if (report.low_count > 0) drone.alerts += 1;
    if (report.event_time >= drone.last_seen) {
      drone.last_seen = report.event_time;
      drone.lat = report.lat;
      drone.lon = report.lon;
    }
    drones.set(report.drone_id, drone);
  }
  return [...drones.values()].sort((a, b) => a.drone_id.localeCompare(b.drone_id));
}

/** Hours of drones merged: per drone the sums and the position it was last seen at, by drone id. */
export function mergeDroneHours(hours: Omit<DroneHour, 'hour'>[]): DroneActivity[] {
  const drones = new Map<string, DroneActivity>();
  for (const hour of hours) {
    const drone = drones.get(hour.drone_id);
    if (drone === undefined) {
      drones.set(hour.drone_id, { ...hour });
      continue;
    }
    drone.reports += hour.reports;
    drone.alerts += hour.alerts;
    if (hour.last_seen >= drone.last_seen) {
      drone.last_seen = hour.last_seen;
      drone.lat = hour.lat;
      drone.lon = hour.lon;
    }
  }
  return [...drones.values()].sort((a, b) => a.drone_id.localeCompare(b.drone_id));
}
