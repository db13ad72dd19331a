import type { KafkaAdmin, KafkaClient } from '../../common/kafka.ts';
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
 */
export async function restoreFromChangelog(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  topic: string,
  partition: number,
  heartbeat: () => Promise<void>,
): Promise<Restored> {
  const state = new TaskState();
  const offsets = (await admin.topicOffsets(topic)).find((entry) => entry.partition === partition);
  if (offsets === undefined) throw new Error(`changelog ${topic} has no partition ${partition}`);
  let records = 0;
  await kafka.readPartitions({
    topic,
    partitions: [{ partition, from: offsets.low, to: offsets.high }],
    timeoutMs: RESTORE_TIMEOUT_MS,
    async onRecords(batch) {
      for (const { key, value } of batch) {
        if (key === null) continue;
        state.restore({ key, value: value?.toString('utf8') ?? null });
        records += 1;
      }
      await heartbeat();
    },
  });
  return { state, records };
}
