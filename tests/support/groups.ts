/** Where a consumer group stands on its topics, read from the broker as a user would. */
import { kafka } from './harness.ts';

/**
 * How far each partition's end is past the group's committed offset, per `<topic>/<partition>`;
 * undefined while a topic does not exist yet (a processor just started has not made its own).
 */
export async function committedGaps(
  groupId: string,
  topics: string[],
): Promise<Map<string, bigint> | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    if (topics.some((topic) => !existing.has(topic))) return undefined;
    const gaps = new Map<string, bigint>();
    for (const topic of topics) {
      const [ends, committed] = await Promise.all([
        admin.topicOffsets(topic),
        admin.committedOffsets(groupId, topic),
      ]);
      for (const { partition, high } of ends) {
        const offset = committed.get(partition) ?? '-1';
        gaps.set(`${topic}/${partition}`, BigInt(high) - BigInt(offset));
      }
    }
    return gaps;
  } finally {
    await admin.disconnect();
  }
}

/** Whether a consumer group has committed every partition of the topics up to its end. */
export async function caughtUp(groupId: string, topics: string[]): Promise<boolean> {
  // A transaction's commit marker takes the offset after its last record.
  const gaps = await committedGaps(groupId, topics);
  return gaps !== undefined && [...gaps.values()].every((gap) => gap <= 1n);
}

/** Records the group has committed on a topic, all partitions together. */
export async function committedRecords(groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.committedOffsets(groupId, topic);
    return [...committed.values()].reduce((sum, offset) => sum + Number(offset), 0);
  } finally {
    await admin.disconnect();
  }
}
