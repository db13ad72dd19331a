import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { latestCompleteBucket, type BucketStats } from './statistics.ts';
import type { Leaderboard } from './jobs.ts';

// The label is `name`, not `job`: Prometheus owns `job` for the scrape target.
export const BATCH_JOBS = ['top_low_persons', 'report_stats'] as const;

/** Every metric the batch service serves: its jobs' health and their latest results. */
export function createBatchMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const leaderLabels = ['rank', 'person_id', 'name'] as const;
  const metrics = {
    registry,
    runs: new Counter({
      name: 'batch_job_runs_total',
      help: 'Batch job runs, by job name and outcome (success, failure).',
      labelNames: ['name', 'outcome'] as const,
      registers,
    }),
    skipped: new Counter({
      name: 'batch_job_skipped_total',
      help: 'Scheduled runs skipped because the previous run of the same job was still going.',
      labelNames: ['name'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'batch_job_duration_seconds',
      help: 'Time one batch job run took.',
      labelNames: ['name'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'batch_job_last_success_timestamp_seconds',
      help: 'When each job last finished successfully (Unix time).',
      labelNames: ['name'] as const,
      registers,
    }),
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
  // Known label values start at zero, so rates and alerts see every series from the start.
  for (const name of BATCH_JOBS) {
    for (const outcome of ['success', 'failure']) metrics.runs.inc({ name, outcome }, 0);
    metrics.skipped.inc({ name }, 0);
  }
  return metrics;
}

export type BatchMetrics = ReturnType<typeof createBatchMetrics>;

export function showLeaderboard(metrics: BatchMetrics, leaderboard: Leaderboard): void {
  // Reset first: whoever left the list must leave the gauges too, keeping the series bounded.
  metrics.leaderLowScores.reset();
  metrics.leaderAverageScore.reset();
  for (const person of leaderboard.persons) {
    const labels = { rank: String(person.rank), person_id: person.person_id, name: person.name };
    metrics.leaderLowScores.set(labels, person.low_count);
    metrics.leaderAverageScore.set(labels, person.avg_score);
  }
}

export function showBuckets(
  metrics: BatchMetrics,
  buckets: BucketStats[],
  bucketMs: number,
  now: Date,
): void {
  const latest = latestCompleteBucket(buckets, bucketMs, now);
  if (latest === undefined) return;
  metrics.bucketReports.set(latest.reports);
  metrics.bucketAverageScore.set(latest.avg_score);
  metrics.bucketPersonsPerReport.set(latest.avg_persons_per_report);
  metrics.bucketLowPersonsPerReport.set(latest.avg_low_persons_per_report);
}
