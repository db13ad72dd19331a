import { Partitioners, type Kafka, type Consumer, type Producer } from 'kafkajs';
import type { OutputRecord } from '../common/records.ts';

/**
 * A transactional producer: outputs and consumed offsets commit together or not at all, and
 * a restarted instance with the same transactional id fences its crashed predecessor.
 */
export function createTransactionalProducer(kafka: Kafka, transactionalId: string): Producer {
  return kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    // Keys partition exactly as Java clients do (murmur2), so any consumer can rely on key order.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** Offsets to commit: the next record to read in each partition. */
export interface ConsumedPosition {
  topic: string;
  partition: number;
  nextOffset: string;
}

export async function commitTransaction(
  producer: Producer,
  groupId: string,
  outputs: OutputRecord[],
  position: ConsumedPosition,
): Promise<void> {
  const transaction = await producer.transaction();
  try {
    const byTopic = new Map<string, OutputRecord[]>();
    for (const output of outputs) byTopic.set(output.topic, [...(byTopic.get(output.topic) ?? []), output]);
    if (byTopic.size > 0) {
      await transaction.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, records]) => ({
          topic,
          messages: records.map(({ key, value }) => ({ key, value })),
        })),
      });
    }
    await transaction.sendOffsets({
      consumerGroupId: groupId,
      topics: [
        {
          topic: position.topic,
          partitions: [{ partition: position.partition, offset: position.nextOffset }],
        },
      ],
    });
    await transaction.commit();
  } catch (error) {
    await transaction.abort().catch(() => undefined);
    throw error;
  }
}

export function createConsumer(
  kafka: Kafka,
  groupId: string,
  maxWaitTimeInMs: number,
  sessionTimeout: number,
): Consumer {
  // read_committed: only what committed transactions produced is ever processed. The session
  // timeout bounds how long a crashed instance's partitions wait before another takes them.
  return kafka.consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs,
    sessionTimeout,
    heartbeatInterval: Math.floor(sessionTimeout / 5),
  });
}
