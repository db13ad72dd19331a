import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { retryUntilDone } from '../common/backoff.ts';
import type { CassandraStore } from '../common/cassandra.ts';
import { commitTransaction, isFenced, type PartitionProducers } from './kafka.ts';
import type { ProcessorMetrics } from './metrics.ts';
import type { OutputRecord, SourceRecord } from '../common/records.ts';
import { runMicroBatch, type StreamPipeline } from './pipeline.ts';

export interface RuntimeDeps {
  consumer: Consumer;
  producers: PartitionProducers;
  store: CassandraStore;
  metrics: ProcessorMetrics;
  log: Logger;
  groupId: string;
  batchMaxRecords: number;
  /** A fact stored this long after its event time counts as late: per-bucket statistics may have passed it by. */
  lateAfterMs: number;
  /** Aborted on SIGTERM: a write still being retried then gives up, uncommitted, to be redone after a restart. */
  stop: AbortSignal;
}

const HEARTBEAT_SLICE_MS = 200;

/**
 * Retries until the sink accepts the write. Consumption of this partition is held meanwhile,
 * so nothing more is fetched into memory; the group heartbeat keeps the partition ours.
 */
function untilWritten<T>(
  sink: 'cassandra' | 'kafka',
  write: () => Promise<T>,
  { metrics, log, stop }: RuntimeDeps,
  heartbeat: () => Promise<void>,
): Promise<T> {
  return retryUntilDone(write, {
    onFailure(error, attempt) {
      metrics.writeErrors.inc({ sink });
      if (attempt > 0) return;
      metrics.paused.set(1);
      log.warn({ sink, err: error }, `${sink} write failed; pausing and retrying with backoff`);
    },
    onRecovered(attempts) {
      metrics.paused.set(0);
      log.info({ sink, attempts }, `${sink} accepts writes again; resuming`);
    },
    async wait(ms) {
      // Heartbeat through the wait, so a long outage does not cost the partition its owner.
      for (let waited = 0; waited < ms; waited += HEARTBEAT_SLICE_MS) {
        stop.throwIfAborted();
        await sleep(HEARTBEAT_SLICE_MS);
        await heartbeat().catch(() => undefined);
      }
    },
  });
}

interface Chunk {
  topic: string;
  partition: number;
  firstOffset: string;
  /** The offset after the chunk's last record: what its commit records as consumed. */
  nextOffset: string;
  outputs: OutputRecord[];
}

type ChunkCommit = { done: true } | { done: false; resumeFrom?: string };

/**
 * Commits a chunk's outputs and offsets in one transaction of its partition's producer, claiming
 * the partition first when this instance does not hold it yet. Not done when the partition has
 * gone to another owner, or when its committed offset is elsewhere than where the chunk starts
 * (`resumeFrom`: where to carry on).
 */
async function commitChunk(
  { producers, metrics, log, groupId }: RuntimeDeps,
  isStale: () => boolean,
  { topic, partition, firstOffset, nextOffset, outputs }: Chunk,
): Promise<ChunkCommit> {
  // The group gave the partition away: its new owner redoes this chunk.
  if (isStale()) return { done: false };
  const claim = await producers.claim(topic, partition);
  if (claim.claimed) metrics.partitionClaims.inc({ topic });
  if (claim.resumeFrom === nextOffset) return { done: true };
  if (claim.resumeFrom !== undefined && claim.resumeFrom !== firstOffset) {
    return { done: false, resumeFrom: claim.resumeFrom };
  }
  try {
    await commitTransaction(claim.producer, groupId, outputs, { topic, partition, nextOffset });
    return { done: true };
  } catch (error) {
    // A failed transaction leaves a kafkajs producer unusable: a retry claims the partition again
    // with a new one. Fenced, this instance is no longer the partition's owner: it leaves the
    // chunk to the one that is, and claims again only when kafkajs hands it another batch of it.
    await producers.release(topic, partition);
    if (!isFenced(error)) throw error;
    metrics.fencedCommits.inc({ topic });
    log.warn(
      { topic, partition },
      'fenced: another instance has claimed the partition; leaving this chunk to it',
    );
    return { done: false };
  }
}

/** Consumes the pipeline's source topic in micro-batches until the consumer is stopped. */
export async function runPipeline<Fact>(pipeline: StreamPipeline<Fact>, deps: RuntimeDeps): Promise<void> {
  const { consumer, store, metrics, log, batchMaxRecords, lateAfterMs } = deps;
  for (const counter of [metrics.partitionClaims, metrics.fencedCommits]) {
    counter.inc({ topic: pipeline.sourceTopic }, 0);
  }
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
        let late = 0;
        for (const fact of result.accepted) {
          const ageMs = storedAt - pipeline.eventTime(fact).getTime();
          metrics.eventToStore.observe(Math.max(0, ageMs / 1000));
          if (ageMs > lateAfterMs) late += 1;
        }

        const lastOffset = messages[messages.length - 1]!.offset;
        const nextOffset = (BigInt(lastOffset) + 1n).toString();
        const commit = await untilWritten(
          'kafka',
          () =>
            commitChunk(deps, isStale, {
              topic: batch.topic,
              partition: batch.partition,
              firstOffset: messages[0]!.offset,
              nextOffset,
              outputs: result.outputs,
            }),
          deps,
          heartbeat,
        );
        if (!commit.done) {
          // Another owner committed this partition up to elsewhere: carry on from there.
          if (commit.resumeFrom !== undefined) {
            log.warn(
              { topic: batch.topic, partition: batch.partition, offset: commit.resumeFrom },
              'partition committed elsewhere since this batch was fetched; resuming from its committed offset',
            );
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: commit.resumeFrom });
          }
          return;
        }
        // The offsets are committed in the transaction; this only moves the consumer's own position.
        resolveOffset(lastOffset);
        metrics.records.inc({ topic: batch.topic, outcome: 'accepted' }, result.accepted.length - late);
        metrics.records.inc({ topic: batch.topic, outcome: 'late' }, late);
        metrics.records.inc({ topic: batch.topic, outcome: 'rejected' }, result.rejected.length);
        metrics.deadLetters.inc({ topic: batch.topic }, result.rejected.length);
        pipeline.observe?.(result.accepted);
        timer();
        await heartbeat();
      }
    },
  });
}
