import { Partitioners, type Admin, type Kafka, type Consumer, type Producer } from 'kafkajs';
import { committedOffsets } from '../common/kafka.ts';
import type { OutputRecord } from '../common/records.ts';

/** A transactional producer: outputs and consumed offsets commit together or not at all. */
function createTransactionalProducer(kafka: Kafka, transactionalId: string): Producer {
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

/** What a consumer needs to process one of its partitions: the producer that commits its work. */
export interface PartitionClaim {
  producer: Producer;
  /** True when this call took the partition over, fencing whoever held it before. */
  claimed: boolean;
  /**
   * Set when the partition has just been claimed and a previous owner had committed offsets
   * for it: the offset where that owner's committed work ends, so where this owner must start.
   */
  resumeFrom?: string;
}

/**
 * One transactional producer per source partition, as in Kafka Streams' first exactly-once
 * mode. The transactional id belongs to the partition, not to the instance: whoever claims a
 * partition initialises that id, which makes the broker complete or abort the previous owner's
 * open transaction and fences the previous owner, so an instance that lost a partition (frozen,
 * its session expired) can never again commit outputs or offsets for it. kafkajs cannot send
 * the consumer group metadata with which KIP-447 does this for one producer per instance.
 */
export class PartitionProducers {
  private readonly producers = new Map<string, Producer>();

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly groupId: string,
    private readonly transactionalIdPrefix: string,
  ) {}

  async claim(topic: string, partition: number): Promise<PartitionClaim> {
    const key = `${topic}-${partition}`;
    const owned = this.producers.get(key);
    if (owned !== undefined) return { producer: owned, claimed: false };
    const producer = createTransactionalProducer(this.kafka, `${this.transactionalIdPrefix}-${key}`);
    try {
      await producer.connect();
      // kafkajs registers the transactional id with the broker on the first transaction: the
      // fencing step. An empty transaction sends nothing more.
      await (await producer.transaction()).abort();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    // Only now is the previous owner's last transaction settled, and the committed offset final.
    const resumeFrom = (await committedOffsets(this.admin, this.groupId, topic)).get(partition);
    this.producers.set(key, producer);
    return { producer, claimed: true, ...(resumeFrom !== undefined && { resumeFrom }) };
  }

  /** Forgets the producer of a partition that another owner has claimed since. */
  async release(topic: string, partition: number): Promise<void> {
    const key = `${topic}-${partition}`;
    const producer = this.producers.get(key);
    this.producers.delete(key);
    await producer?.disconnect().catch(() => undefined);
  }

  async releaseAll(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(producers.map((producer) => producer.disconnect().catch(() => undefined)));
  }
}

const FENCED_ERRORS = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** Whether a Kafka error says that another producer has claimed this one's transactional id. */
export function isFenced(error: unknown): boolean {
  // kafkajs wraps the broker's error in its own (retries exceeded, say) as the cause.
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { type } = cause as Error & { type?: string };
    if (type !== undefined && FENCED_ERRORS.has(type)) return true;
  }
  return false;
}
