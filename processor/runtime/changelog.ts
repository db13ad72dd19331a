import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { TaskState } from '../dsl/store.ts';

/** A restore that has not reached the changelog's end by then has failed, and is retried. */
const RESTORE_TIMEOUT_MS = 300_000;

export interface Restored {
  state: TaskState;
  /** Changelog records read. */
  records: number;
}

/**
 * Rebuilds a task's state from its changelog partition, read from its start to its end.
 * Called right after the partition's producer fenced its previous owner: no transaction is
 * open on the changelog partition any more, so its end (high watermark) is final.
 *
 * kafkajs has no consumer without a group, so the read uses a group of its own that nothing
 * else joins and that commits nothing (it disappears once left); it is assigned every
 * partition of the changelog and reads only the one asked for.
 */
export async function restoreFromChangelog(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  partition: number,
  heartbeat: () => Promise<void>,
): Promise<Restored> {
  const state = new TaskState();
  const offsets = (await admin.fetchTopicOffsets(topic)).find((entry) => entry.partition === partition);
  if (offsets === undefined) throw new Error(`changelog ${topic} has no partition ${partition}`);
  const end = BigInt(offsets.high);
  if (end === BigInt(offsets.low)) return { state, records: 0 };

  const consumer = kafka.consumer({
    groupId: `restore-${topic}-${partition}-${randomUUID()}`,
    readUncommitted: false,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxWaitTimeInMs: 50,
  });
  let records = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`restoring ${topic} partition ${partition} took over ${RESTORE_TIMEOUT_MS / 1000} s`),
          ),
        RESTORE_TIMEOUT_MS,
      );
      // Batches that hold only transaction markers or aborted records reach no eachBatch: the
      // end-of-batch event sees every batch, so it is where the end is noticed.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.partition === partition && BigInt(payload.lastOffset) >= end - 1n) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(timer);
        reject(payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (batch.partition !== partition) {
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              return;
            }
            for (const message of batch.messages) {
              if (message.key === null) continue;
              state.restore({
                key: message.key.toString('utf8'),
                value: message.value?.toString('utf8') ?? null,
              });
              records += 1;
            }
            await heartbeat();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return { state, records };
}
