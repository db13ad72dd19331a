/** Where a consumer group stands on its topics, read from the broker as a user would. */
import { kafka } from './harmony.ts';

/** Whether a consumer group has committed every partition of the topics up to its end. */
export async function caughtUp(groupId: string, topics: string[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      for (const { partition, high } of ends) {
        const offset = committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1';
        // A transaction's commit marker takes the offset after its last record.
        if (BigInt(high) - BigInt(offset) > 1n) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}

/** Records the group has committed on a topic, all partitions together. */
export async function committedRecords(groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (committed?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
