import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Admin, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { committedOffsets } from '../../common/kafka.ts';
import type { OutputRecord } from '../../common/records.ts';

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

/**
 * One produce request's worth of records. The broker refuses a record batch above its
 * message.max.bytes (1 MiB by default) as non-retriable, so a transaction's records are sent
 * in requests well under it; a single record is bounded where it is made (dead letters).
 */
export const PRODUCE_REQUEST_MAX_BYTES = 512 * 1024;
/** Bytes a record takes beyond its key and value in a record batch, rounded up. */
const RECORD_OVERHEAD_BYTES = 64;
/**
 * Splits records into produce requests of at most `maxBytes` and `maxRecords` each, keeping their
 * order. Bytes alone bound a request by default: kafkajs groups a request's messages in linear
 * time (our patch of it; it copied each partition's group for every message).
 */
export function produceRequests(
  outputs: OutputRecord[],
  maxBytes = PRODUCE_REQUEST_MAX_BYTES,
  maxRecords = Number.POSITIVE_INFINITY,
): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let current = new Map<string, TopicMessages>();
  let bytes = 0;
  let records = 0;
  for (const { topic, partition, key, value } of outputs) {
    const size =
      RECORD_OVERHEAD_BYTES +
      (key === null ? 0 : Buffer.byteLength(key)) +
      (value === null ? 0 : Buffer.byteLength(value));
    if (bytes > 0 && (bytes + size > maxBytes || records >= maxRecords)) {
      requests.push([...current.values()]);
      current = new Map();
      bytes = 0;
      records = 0;
    }
    let messages = current.get(topic);
    if (messages === undefined) {
      messages = { topic, messages: [] };
      current.set(topic, messages);
    }
    messages.messages.push({ key, value, ...(partition !== undefined && { partition }) });
    bytes += size;
    records += 1;
  }
  if (bytes > 0) requests.push([...current.values()]);
  return requests;
}

/**
 * The largest key plus value an output record may have: the broker refuses a record batch above
 * its message.max.bytes (1 MiB by default), and such a record could never be committed.
 */
export const RECORD_MAX_BYTES = 1_000_000;

export function recordBytes({ key, value }: OutputRecord): number {
  return (key === null ? 0 : Buffer.byteLength(key)) + (value === null ? 0 : Buffer.byteLength(value));
}

/** Records above RECORD_MAX_BYTES: set aside before sending, as the broker would refuse them. */
export function oversizedRecords(records: OutputRecord[]): UnwritableRecord[] {
  const oversized: UnwritableRecord[] = [];
  for (const record of records) {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: only long strings need measuring.
    const units = (record.key?.length ?? 0) + (record.value?.length ?? 0);
    if (units * 3 > RECORD_MAX_BYTES && recordBytes(record) > RECORD_MAX_BYTES) {
      oversized.push({ record, reason: `larger than ${RECORD_MAX_BYTES} bytes` });
    }
  }
  return oversized;
}

/** Broker errors that refuse a record itself: sending it again can never succeed. */
const RECORD_REFUSED_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);

/** Whether a Kafka error says that the broker refused a record of the request (not a passing failure). */
export function isRecordRefused(error: unknown): boolean {
  const type = errorType(error);
  return type !== undefined && RECORD_REFUSED_ERRORS.has(type);
}

/** A record the broker will never take, with the broker's reason. */
export interface UnwritableRecord {
  record: OutputRecord;
  reason: string;
}

/**
 * Finds which records the broker refuses, by sending them in transactions that are always
 * aborted (read_committed consumers never see them): a refused group is halved until the
 * refused records stand alone, so k refused records among n cost about 2k·log2(n) probes.
 * `probeProducer` gives a fresh transactional producer: a failed transaction spoils one.
 */
export async function refusedRecords(
  probeProducer: () => Promise<Producer>,
  records: OutputRecord[],
): Promise<UnwritableRecord[]> {
  if (records.length === 0) return [];
  const producer = await probeProducer();
  try {
    const transaction = await producer.transaction();
    try {
      for (const topicMessages of produceRequests(records)) {
        await transaction.sendBatch({ acks: -1, topicMessages });
      }
    } finally {
      await transaction.abort().catch(() => undefined);
    }
    return [];
  } catch (error) {
    if (!isRecordRefused(error)) throw error;
    if (records.length === 1) return [{ record: records[0]!, reason: errorType(error)! }];
    const half = Math.ceil(records.length / 2);
    return [
      ...(await refusedRecords(probeProducer, records.slice(0, half))),
      ...(await refusedRecords(probeProducer, records.slice(half))),
    ];
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** How often and how soon to ask again when the previous transaction is still being completed. */
const CONCURRENT_TRANSACTION_RETRIES = 50;
const CONCURRENT_TRANSACTION_WAIT_MS = 5;

/** The broker's error type, however deep kafkajs wrapped it (retries exceeded, say). */
function errorType(error: unknown): string | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { type } = cause as Error & { type?: string };
    if (type !== undefined) return type;
  }
  return undefined;
}

export async function commitTransaction(
  producer: Producer,
  groupId: string,
  outputs: OutputRecord[],
  position: ConsumedPosition,
  recordsPerRequest = Number.POSITIVE_INFINITY,
): Promise<void> {
  const transaction = await producer.transaction();
  try {
    for (const topicMessages of produceRequests(outputs, PRODUCE_REQUEST_MAX_BYTES, recordsPerRequest)) {
      await transaction.sendBatch({ acks: -1, topicMessages });
    }
    const offsets = {
      consumerGroupId: groupId,
      topics: [
        {
          topic: position.topic,
          partitions: [{ partition: position.partition, offset: position.nextOffset }],
        },
      ],
    };
    // Right after the previous commit the coordinator may still be writing its markers: kafkajs
    // retries that (CONCURRENT_TRANSACTIONS) for AddPartitionsToTxn but not for AddOffsetsToTxn,
    // which leaves the transaction open and usable, so asking again soon is safe and cheap.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await transaction.sendOffsets(offsets);
        break;
      } catch (error) {
        if (errorType(error) !== 'CONCURRENT_TRANSACTIONS' || attempt >= CONCURRENT_TRANSACTION_RETRIES)
          throw error;
        await sleep(CONCURRENT_TRANSACTION_WAIT_MS * (attempt + 1));
      }
    }
    await transaction.commit();
  } catch (error) {
    await transaction.abort().catch(() => undefined);
    throw error;
  }
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
 * its session expired) can never again commit outputs, changelog or offsets for it. kafkajs
 * cannot send the consumer group metadata with which KIP-447 does this for one producer per
 * instance.
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

  /** A transactional producer of its own for probing which records the broker refuses. */
  async probe(topic: string, partition: number): Promise<Producer> {
    const producer = createTransactionalProducer(
      this.kafka,
      `${this.transactionalIdPrefix}-probe-${topic}-${partition}`,
    );
    await producer.connect();
    return producer;
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
