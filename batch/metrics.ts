import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The health of every stream's jobs; the gauges showing a job's results are its stream's own
 * (registered on the same registry). The label is `name`, not `job`: Prometheus owns `job` for
 * the scrape target.
 */
export function createBatchMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
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
  };
}

export type BatchMetrics = ReturnType<typeof createBatchMetrics>;

/** Known label values start at zero, so rates and alerts see every job's series from the start. */
export function declareJobs(metrics: BatchMetrics, jobNames: string[]): void {
  for (const name of jobNames) {
    for (const outcome of ['success', 'failure']) metrics.runs.inc({ name, outcome }, 0);
    metrics.skipped.inc({ name }, 0);
  }
}
