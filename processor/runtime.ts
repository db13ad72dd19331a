import type { Consumer, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { CassandraStore } from './cassandra.ts';
import { commitTransaction } from './kafka.ts';
import type { ProcessorMetrics } from './metrics.ts';
import { runMicroBatch, type SourceRecord, type StreamPipeline } from './pipeline.ts';

export interface RuntimeDeps {
  consumer: Consumer;
  producer: Producer;
  store: CassandraStore;
  metrics: ProcessorMetrics;
  log: Logger;
  groupId: string;
  batchMaxRecords: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Backoff bounds for a failing sink: quick first retries, then at most one try every 30 s. */
export const BACKOFF_INITIAL_MS = 200;
export const BACKOFF_MAX_MS = 30_000;

const HEARTBEAT_SLICE_MS = 200;

export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** attempt);
}

/**
 * Retries until the sink accepts the write. Consumption of this partition is held meanwhile,
 * so nothing more is fetched into memory; the group heartbeat keeps the partition ours.
 */
async function untilWritten(
  sink: 'cassandra' | 'kafka',
  write: () => Promise<void>,
  { metrics, log }: RuntimeDeps,
  heartbeat: () => Promise<void>,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await write();
      if (attempt > 0) {
        metrics.paused.set(0);
        log.info({ sink, attempts: attempt + 1 }, `${sink} accepts writes again; resuming`);
      }
      return;
    } catch (error) {
      metrics.writeErrors.inc({ sink });
      if (attempt === 0) {
        metrics.paused.set(1);
        log.warn({ sink, err: error }, `${sink} write failed; pausing and retrying with backoff`);
      }
      // Heartbeat through the wait, so a long outage does not cost the partition its owner.
      for (let waited = 0; waited < backoffDelay(attempt); waited += HEARTBEAT_SLICE_MS) {
        await sleep(HEARTBEAT_SLICE_MS);
        await heartbeat().catch(() => undefined);
      }
    }
  }
}

/** Consumes the pipeline's source topic in micro-batches until the consumer is stopped. */
export async function runPipeline<Fact>(pipeline: StreamPipeline<Fact>, deps: RuntimeDeps): Promise<void> {
  const { consumer, producer, store, metrics, groupId, batchMaxRecords } = deps;
  await consumer.subscribe({ topic: pipeline.sourceTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (let start = 0; start < batch.messages.length; start += batchMaxRecords) {
        if (!isRunning() || isStale()) return;
        const timer = metrics.batchDuration.startTimer();
        const messages = batch.messages.slice(start, start + batchMaxRecords);
        const records: SourceRecord[] = messages.map((message) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
        }));
        const result = runMicroBatch(pipeline, records);

        await untilWritten('cassandra', () => store.upsert(result.rows), deps, heartbeat);
        const storedAt = Date.now();
        for (const fact of result.accepted) {
          metrics.eventToStore.observe(Math.max(0, (storedAt - pipeline.eventTime(fact).getTime()) / 1000));
        }

        const lastOffset = messages[messages.length - 1]!.offset;
        const nextOffset = (BigInt(lastOffset) + 1n).toString();
        await untilWritten(
          'kafka',
          () =>
            commitTransaction(producer, groupId, result.outputs, {
              topic: batch.topic,
              partition: batch.partition,
              nextOffset,
            }),
          deps,
          heartbeat,
        );
        // The offsets are committed in the transaction; this only moves the consumer's own position.
        resolveOffset(lastOffset);
        metrics.records.inc({ topic: batch.topic, outcome: 'accepted' }, result.accepted.length);
        metrics.records.inc({ topic: batch.topic, outcome: 'rejected' }, result.rejected.length);
        metrics.deadLetters.inc({ topic: batch.topic }, result.rejected.length);
        pipeline.observe?.(result.accepted);
        timer();
        await heartbeat();
      }
    },
  });
}
