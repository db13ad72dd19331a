import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the runtime serves; names follow Prometheus' <area>_<what>_<unit> rule. Each
 * carries the pipeline, so two topologies reading one topic never share a series.
 */
export function createProcessorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    records: new Counter({
      name: 'processor_records_total',
      help: 'Records consumed, by pipeline, source topic and outcome (accepted, rejected, late).',
      labelNames: ['pipeline', 'topic', 'outcome'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'processor_dead_letters_total',
      help: 'Records sent to a dead-letter topic, by pipeline and source topic.',
      labelNames: ['pipeline', 'topic'] as const,
      registers,
    }),
    batchDuration: new Histogram({
      name: 'processor_batch_duration_seconds',
      help: 'Time to process one micro-batch: decode, process, store, produce and commit.',
      labelNames: ['pipeline'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'processor_consumer_lag',
      help: 'Records between the committed position and the end of each partition.',
      labelNames: ['pipeline', 'topic', 'partition'] as const,
      registers,
    }),
    eventToStore: new Histogram({
      name: 'processor_event_to_store_seconds',
      help: 'Time from an event (for a window: the middle of the window) to its durable write in Cassandra.',
      labelNames: ['pipeline'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    writeErrors: new Counter({
      name: 'processor_write_errors_total',
      help: 'Failed attempts to write, by pipeline and sink (cassandra, kafka); each is retried.',
      labelNames: ['pipeline', 'sink'] as const,
      registers,
    }),
    unwritableRecords: new Counter({
      name: 'processor_unwritable_records_total',
      help: 'Output records the broker refuses for good (too large, invalid), by pipeline and destination topic: logged with their origin and skipped.',
      labelNames: ['pipeline', 'topic'] as const,
      registers,
    }),
    rowsWritten: new Counter({
      name: 'processor_rows_written_total',
      help: 'Rows upserted into Cassandra by committed micro-batches, by pipeline and table (a micro-batch redone after a crash counts once).',
      labelNames: ['pipeline', 'table'] as const,
      registers,
    }),
    unwritableRows: new Counter({
      name: 'processor_unwritable_rows_total',
      help: 'Rows Cassandra refuses for good (invalid as sent: a key over 64 KiB, say), by pipeline and table: logged with the records they came from and skipped.',
      labelNames: ['pipeline', 'table'] as const,
      registers,
    }),
    partitionClaims: new Counter({
      name: 'processor_partition_claims_total',
      help: 'Partitions this instance took over; each claim fences the previous owner and restores state.',
      labelNames: ['pipeline', 'topic'] as const,
      registers,
    }),
    fencedCommits: new Counter({
      name: 'processor_fenced_commits_total',
      help: 'Commits refused because another instance had claimed the partition; its new owner redoes them.',
      labelNames: ['pipeline', 'topic'] as const,
      registers,
    }),
    paused: new Gauge({
      name: 'processor_paused',
      help: '1 while the pipeline is backing off because a sink is failing.',
      labelNames: ['pipeline'] as const,
      registers,
    }),
    stateRestore: new Histogram({
      name: 'processor_state_restore_seconds',
      help: "Time to rebuild a claimed partition's state from its changelog.",
      labelNames: ['pipeline'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    stateRestoredRecords: new Counter({
      name: 'processor_state_restored_records_total',
      help: 'Changelog records read back to rebuild state after claiming partitions.',
      labelNames: ['pipeline'] as const,
      registers,
    }),
    stateEntries: new Gauge({
      name: 'processor_state_entries',
      help: 'Keyed state entries held in memory by the partitions this instance owns.',
      labelNames: ['pipeline'] as const,
      registers,
    }),
  };
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;

/** Known label values start at zero, so rates and alerts see the series before the first event. */
export function initialisePipelineSeries(
  metrics: ProcessorMetrics,
  pipeline: string,
  sourceTopics: string[],
): void {
  for (const sink of ['cassandra', 'kafka']) metrics.writeErrors.inc({ pipeline, sink }, 0);
  metrics.paused.set({ pipeline }, 0);
  metrics.stateEntries.set({ pipeline }, 0);
  metrics.stateRestoredRecords.inc({ pipeline }, 0);
  for (const topic of sourceTopics) {
    for (const outcome of ['accepted', 'rejected', 'late'])
      metrics.records.inc({ pipeline, topic, outcome }, 0);
    metrics.deadLetters.inc({ pipeline, topic }, 0);
    metrics.partitionClaims.inc({ pipeline, topic }, 0);
    metrics.fencedCommits.inc({ pipeline, topic }, 0);
  }
}
