import {
  bucketStatistics,
  countLowScores,
  hoursCovering,
  rankLowScorers,
  rankingCandidates,
  type BucketStats,
  type LowScorer,
} from './statistics.ts';
import type { HarmonyTables } from './store.ts';

export interface TimeRange {
  from: Date;
  to: Date;
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
  tables: HarmonyTables,
  board: string,
  range: TimeRange,
  settings: { threshold: number; size: number },
): Promise<Leaderboard> {
  const hours = hoursCovering(range.from, range.to);
  const counts = countLowScores(await tables.lowScores(hours, range.from, range.to, settings.threshold));
  const candidates = rankingCandidates(counts.values(), settings.size);
  const averages = await tables.averageScores(
    candidates.map((candidate) => candidate.person_id),
    range.from,
    range.to,
  );
  const persons = rankLowScorers(
    candidates,
    (personId) => averages.get(personId) ?? Number.NaN,
    settings.size,
  );
  await tables.writeLeaderboard(board, persons, { ...range, ...settings, computedAt: new Date() });
  return { board, window_start: range.from, window_end: range.to, threshold: settings.threshold, persons };
}

/** Per-bucket averages over the range (from aligned down to a bucket start), written to report_stats. */
export async function reportStatsJob(
  tables: HarmonyTables,
  range: TimeRange,
  bucketMs: number,
): Promise<BucketStats[]> {
  const from = new Date(Math.floor(range.from.getTime() / bucketMs) * bucketMs);
  const facts = await tables.reportFacts(hoursCovering(from, range.to), from, range.to);
  const buckets = bucketStatistics(facts, bucketMs);
  await tables.writeBucketStats(bucketMs, buckets, new Date());
  return buckets;
}
