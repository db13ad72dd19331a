import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the processor serves; names follow Prometheus' <area>_<what>_<unit> rule. */
export function createProcessorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics = {
    registry,
    records: new Counter({
      name: 'processor_records_total',
      help: 'Records consumed, by source topic and outcome (accepted, rejected, late).',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'processor_dead_letters_total',
      help: 'Records sent to a dead-letter topic, by source topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    batchDuration: new Histogram({
      name: 'processor_batch_duration_seconds',
      help: 'Time to process one micro-batch: decode, store, produce and commit.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'processor_consumer_lag',
      help: 'Records between the committed position and the end of each partition.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    eventToStore: new Histogram({
      name: 'processor_event_to_store_seconds',
      help: 'Time from an event to its durable write in Cassandra.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    writeErrors: new Counter({
      name: 'processor_write_errors_total',
      help: 'Failed attempts to write, by sink (cassandra, kafka); each is retried.',
      labelNames: ['sink'] as const,
      registers,
    }),
    partitionClaims: new Counter({
      name: 'processor_partition_claims_total',
      help: 'Partitions this instance took over, by source topic; each claim fences the previous owner.',
      labelNames: ['topic'] as const,
      registers,
    }),
    fencedCommits: new Counter({
      name: 'processor_fenced_commits_total',
      help: 'Commits refused because another instance had claimed the partition; its new owner redoes them.',
      labelNames: ['topic'] as const,
      registers,
    }),
    paused: new Gauge({
      name: 'processor_paused',
      help: '1 while the processor is backing off because a sink is failing.',
      registers,
    }),
  };
  // Known label values start at zero, so rates and alerts see the series before the first error.
  for (const sink of ['cassandra', 'kafka']) metrics.writeErrors.inc({ sink }, 0);
  return metrics;
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;
