import type { KafkaAdmin, KafkaClient } from '../../common/kafka.ts';
import { TaskState } from '../dsl/store.ts';

/** A restore that has not reached the changelog's end by then has failed, and is retried. */
const RESTORE_TIMEOUT_MS = 300_000;

/**
 * The configs of every changelog topic. A restore reads its partition from the start, so what a
 * restart costs is what the changelog holds: compaction must keep that near the state's size,
 * not let it grow with how long the stack has run. The broker never compacts a partition's
 * active segment, and by default rolls one only at 1 GiB or after 7 days, and cleans a log only
 * once half of it is superseded; a removed key's tombstone stays a day.
 */
export const CHANGELOG_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  // Updates leave the uncompactable active segment within a minute, or at 32 MiB.
  'segment.ms': String(60_000),
  'segment.bytes': String(32 * 1024 * 1024),
  // A log is cleaned once a tenth of it is superseded, and no update waits over 5 minutes.
  'min.cleanable.dirty.ratio': '0.1',
  'max.compaction.lag.ms': String(300_000),
  // A tombstone outlives any restore (RESTORE_TIMEOUT_MS): one that read the removed key's value
  // still reads its removal.
  'delete.retention.ms': String(2 * RESTORE_TIMEOUT_MS),
};

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
): Promise<Restored> {
  const state = new TaskState();
  const offsets = (await admin.topicOffsets(topic)).find((entry) => entry.partition === partition);
  if (offsets === undefined) throw new Error(`changelog ${topic} has no partition ${partition}`);
  let records = 0;
  await kafka.readPartitions({
    topic,
    partitions: [{ partition, from: offsets.low, to: offsets.high }],
    timeoutMs: RESTORE_TIMEOUT_MS,
    onRecords(batch) {
      for (const { key, value } of batch) {
        if (key === null) continue;
        state.restore({ key, value: value?.toString('utf8') ?? null });
        records += 1;
      }
      return Promise.resolve();
    },
  });
  return { state, records };
}
