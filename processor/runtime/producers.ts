import {
  kafkaErrorKind,
  type ConsumedPosition,
  type KafkaAdmin,
  type KafkaClient,
  type TransactionalProducer,
} from '../../common/kafka.ts';
import type { OutputRecord } from '../../common/records.ts';

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
): OutputRecord[][] {
  const requests: OutputRecord[][] = [];
  let current: OutputRecord[] = [];
  let bytes = 0;
  for (const record of outputs) {
    const size = RECORD_OVERHEAD_BYTES + recordBytes(record);
    if (bytes > 0 && (bytes + size > maxBytes || current.length >= maxRecords)) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (bytes > 0) requests.push(current);
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
  probeProducer: () => Promise<TransactionalProducer>,
  records: OutputRecord[],
): Promise<UnwritableRecord[]> {
  if (records.length === 0) return [];
  const producer = await probeProducer();
  try {
    const transaction = await producer.beginTransaction();
    try {
      for (const request of produceRequests(records)) await transaction.send(request);
    } finally {
      await transaction.abort().catch(() => undefined);
    }
    return [];
  } catch (error) {
    const failure = kafkaErrorKind(error);
    if (failure.kind !== 'record refused') throw error;
    if (records.length === 1) return [{ record: records[0]!, reason: failure.code }];
    const half = Math.ceil(records.length / 2);
    return [
      ...(await refusedRecords(probeProducer, records.slice(0, half))),
      ...(await refusedRecords(probeProducer, records.slice(half))),
    ];
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

export async function commitTransaction(
  producer: TransactionalProducer,
  groupId: string,
  outputs: OutputRecord[],
  position: ConsumedPosition,
  recordsPerRequest = Number.POSITIVE_INFINITY,
): Promise<void> {
  const transaction = await producer.beginTransaction();
  try {
    for (const request of produceRequests(outputs, PRODUCE_REQUEST_MAX_BYTES, recordsPerRequest)) {
      await transaction.send(request);
    }
    await transaction.sendOffsets(groupId, [position]);
    await transaction.commit();
  } catch (error) {
    await transaction.abort().catch(() => undefined);
    throw error;
  }
}

/** What a consumer needs to process one of its partitions: the producer that commits its work. */
export interface PartitionClaim {
  producer: TransactionalProducer;
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
 * its session expired) can never again commit outputs, changelog or offsets for it. The client
 * interface sends no consumer group metadata, with which KIP-447 does this for one producer per
 * instance (kafkajs cannot).
 */
export class PartitionProducers {
  private readonly producers = new Map<string, TransactionalProducer>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    private readonly groupId: string,
    private readonly transactionalIdPrefix: string,
  ) {}

  async claim(topic: string, partition: number): Promise<PartitionClaim> {
    const key = `${topic}-${partition}`;
    const owned = this.producers.get(key);
    if (owned !== undefined) return { producer: owned, claimed: false };
    const producer = this.kafka.transactionalProducer(`${this.transactionalIdPrefix}-${key}`);
    try {
      await producer.initTransactions();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    // Only now is the previous owner's last transaction settled, and the committed offset final.
    const resumeFrom = (await this.admin.committedOffsets(this.groupId, topic)).get(partition);
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
  async probe(topic: string, partition: number): Promise<TransactionalProducer> {
    const producer = this.kafka.transactionalProducer(
      `${this.transactionalIdPrefix}-probe-${topic}-${partition}`,
    );
    await producer.initTransactions();
    return producer;
  }

  async releaseAll(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(producers.map((producer) => producer.disconnect().catch(() => undefined)));
  }
}
