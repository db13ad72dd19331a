/**
 * The Kafka client as this project uses it, and nothing more: what the processor, the notifier,
 * the generators, the benchmarks and the tests ask of Kafka, in the project's own record types.
 * One adapter implements it (see common/kafka.ts for which); swapping the client is writing
 * another. Offsets are decimal strings, as Kafka's int64 offsets are everywhere in the project.
 */
import type { Logger } from 'pino';
import type { OutputRecord, SourceRecord } from '../records.ts';

export interface KafkaClientSettings {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Names the client in the broker's logs and metrics. */
  clientId: string;
  /** Where the client's own log goes; without one it logs nothing (a CLI reports failures itself). */
  log?: Logger;
  /**
   * How long the client retries a failed request itself before its caller hears of it: 'long'
   * for services that ride out a coordinator moving or a broker restarting (the processor and the
   * notifier), 'default' for programs that retry and report on their own (the generators),
   * 'none' for a probe that only asks whether a broker answers.
   */
  requestRetries?: 'long' | 'default' | 'none';
  /** How long opening a connection to a broker may take: 10 s unless given. */
  connectionTimeoutMs?: number;
}

export interface KafkaClient {
  admin(): KafkaAdmin;
  /** A plain producer: acks from every in-sync replica, idempotent, keys partitioned as Java clients do. */
  producer(): RecordProducer;
  /**
   * A transactional producer of one transactional id: outputs and consumed offsets commit
   * together or not at all.
   */
  transactionalProducer(transactionalId: string): TransactionalProducer;
  /** A member of a consumer group, reading with read_committed. */
  groupConsumer(settings: GroupConsumerSettings): GroupConsumer;
  /**
   * Reads ranges of a topic's partitions without any consumer group (a changelog restore);
   * resolves once every range has been read to its end. read_committed: records of aborted
   * transactions are never delivered.
   */
  readPartitions(read: PartitionRead): Promise<void>;
}

/** A topic to create when missing: a name alone gets three partitions. */
export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** A topic of latest values per key (catalogue, changelog) rather than of events. */
  compacted?: boolean;
  /** Further topic configs, by their Kafka names (`max.message.bytes`, say). */
  configs?: Record<string, string>;
}

/** A partition's first offset still held and its end (the offset the next record will get). */
export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Brokers the cluster's metadata names. */
  brokerCount(): Promise<number>;
  listTopics(): Promise<string[]>;
  /** Creates the topics that are missing; programs racing to create the same topic all succeed. */
  ensureTopics(topics: (string | TopicSpec)[]): Promise<void>;
  /** Partitions of each topic, as the cluster knows them. */
  partitionCounts(topics: string[]): Promise<Map<string, number>>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The topic's values of the named configs that it has. */
  topicConfigs(topic: string, names: string[]): Promise<Map<string, string>>;
  /**
   * Sets the topic's own configs to exactly these: any other config of its own goes back to the
   * broker's default.
   */
  setTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void>;
  /** The group's committed offset of each partition of the topic that has one. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /** Fails while the group's coordinator cannot answer (a broker just started, still loading it). */
  describeGroup(groupId: string): Promise<{ state: string; members: number }>;
  listGroups(): Promise<string[]>;
  deleteTopics(topics: string[]): Promise<void>;
  deleteGroups(groupIds: string[]): Promise<void>;
}

/** A record a plain producer sends: an output record, or raw bytes (a test's malformed input). */
export type ProducedRecord = Omit<OutputRecord, 'value' | 'origin'> & { value: string | Buffer | null };

export interface RecordProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Sends the records, in one request per broker, and resolves once every in-sync replica has
   * them. A request the client sends again is written once (idempotence).
   */
  send(records: readonly ProducedRecord[]): Promise<void>;
}

/** Offsets to commit: the next record to read in each partition. */
export interface ConsumedPosition {
  topic: string;
  partition: number;
  nextOffset: string;
}

export interface TransactionalProducer {
  /**
   * Connects and registers the transactional id with the broker: the broker completes or aborts
   * the open transaction of any earlier producer of the id and fences that producer for good.
   */
  initTransactions(): Promise<void>;
  beginTransaction(): Promise<Transaction>;
  disconnect(): Promise<void>;
}

/** One open transaction. After any failure it must be aborted, and the producer is spent. */
export interface Transaction {
  /** Sends the records in one request per broker; they become visible with the commit. */
  send(records: readonly OutputRecord[]): Promise<void>;
  /**
   * Adds consumed positions of a group to the transaction. The coordinator may still be writing
   * the previous transaction's markers (CONCURRENT_TRANSACTIONS): that is waited out here.
   */
  sendOffsets(groupId: string, positions: readonly ConsumedPosition[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface GroupConsumerSettings {
  groupId: string;
  /** How long a fetch waits for records. */
  maxWaitMs?: number;
  /** How soon a member that stopped heartbeating loses its partitions. */
  sessionTimeoutMs?: number;
  /** Bytes fetched per partition at most; a fetch asks for eight times that over all partitions. */
  maxBytesPerPartition?: number;
}

/**
 * One partition's records of one fetch, as the group consumer delivers them: read_committed, so
 * without transaction markers and records of aborted transactions.
 */
export interface FetchedBatch {
  topic: string;
  partition: number;
  /** Never empty: a fetch that held only markers or aborted records is only a fetch end. */
  records: SourceRecord[];
  /** The offset the fetch started at: it counts the markers hidden from `records`. */
  fetchedFrom: string;
  /**
   * Records up to this offset are done: the partition's next fetch starts after it. Records not
   * resolved when the handler returns are fetched again.
   */
  resolveOffset: (offset: string) => void;
  /** Keeps the group membership alive through long work. */
  heartbeat: () => Promise<void>;
  /** False once the consumer is stopping. */
  isRunning: () => boolean;
  /** True once a rebalance or a seek has made this batch out of date. */
  isStale: () => boolean;
}

/** Where a fetch of a partition ended; fetches that delivered no records (`records` 0) too. */
export interface FetchEnd {
  topic: string;
  partition: number;
  lastOffset: string;
  records: number;
}

export interface GroupConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Topics to read; a partition the group has no committed offset for is read from its start. */
  subscribe(topics: string[]): Promise<void>;
  /**
   * Starts delivering batches, partition by partition, up to `partitionsConcurrently` at a time;
   * offsets are committed only by the caller (in a transaction, or with `commitOffsets`).
   */
  run(delivery: {
    partitionsConcurrently?: number;
    eachBatch: (batch: FetchedBatch) => Promise<void>;
  }): Promise<void>;
  /** The group's partitions of this member after each join. */
  onAssignment(listener: (assignment: Record<string, readonly number[]>) => void): void;
  onFetchEnd(listener: (end: FetchEnd) => void): void;
  /** The consumer stopped on an error; `restarting` when it starts again by itself. */
  onCrash(listener: (crash: { error: unknown; restarting: boolean }) => void): void;
  pause(topic: string, partitions: number[]): void;
  resume(topic: string, partitions: number[]): void;
  /** The partition's next fetch starts at `offset`. */
  seek(topic: string, partition: number, offset: string): void;
  commitOffsets(positions: readonly ConsumedPosition[]): Promise<void>;
}

export interface PartitionRead {
  topic: string;
  /** From `from` up to `to` (excluded): a partition's end as `topicOffsets` gave it, say. */
  partitions: { partition: number; from: string; to: string }[];
  /** Each fetched batch of one partition, in offset order. */
  onRecords: (records: SourceRecord[]) => Promise<void>;
  /** The read fails when it has not reached every end by then. */
  timeoutMs: number;
}

/**
 * What a Kafka failure means to the caller: 'fenced' (another producer has claimed the
 * transactional id), 'record refused' (the broker refuses a record itself: sending it again can
 * never succeed; `code` is the broker's error), 'retriable' (a connection, a leader or a
 * coordinator moving: trying again may succeed), 'other'.
 */
export type KafkaErrorKind =
  { kind: 'fenced' } | { kind: 'record refused'; code: string } | { kind: 'retriable' } | { kind: 'other' };
