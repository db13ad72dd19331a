/**
 * Fakes of the narrow interfaces the runtime talks through (common/kafka/client.ts, the
 * Cassandra store's upsert), for unit tests of processor/runtime. One FakeBroker holds what
 * committed transactions wrote and the group's committed offsets, and fences a producer once
 * another of its transactional id initialises, as Kafka does; a FakeKafka is one instance's
 * client of it. A captured log and metric readers let tests check what the runtime reported.
 */
import { pino, type Logger } from 'pino';
import type { RefusedRow, Row } from '../../common/cassandra.ts';
import type {
  ConsumedPosition,
  FetchedBatch,
  FetchEnd,
  GroupConsumer,
  KafkaAdmin,
  KafkaClient,
  PartitionOffsets,
  PartitionRead,
  TopicSpec,
  Transaction,
  TransactionalProducer,
} from '../../common/kafka.ts';
import type { OutputRecord, SourceRecord } from '../../common/records.ts';

/** A failure as the Kafka client reports a broker's error code (see kafkaErrorKind). */
export function brokerError(type: string, retriable = false): Error {
  return Object.assign(new Error(`the broker answers ${type}`), { type, retriable });
}

function unexpected(what: string): never {
  throw new Error(`the runtime is not expected to call ${what} here`);
}

export class FakeTransaction implements Transaction {
  readonly sends: OutputRecord[][] = [];
  readonly offsets: { groupId: string; positions: ConsumedPosition[] }[] = [];
  outcome: 'open' | 'committed' | 'aborted' = 'open';

  constructor(private readonly producer: FakeProducer) {}

  async send(records: readonly OutputRecord[]): Promise<void> {
    this.producer.broker.checkEpoch(this.producer);
    const refused = records.find((record) => this.producer.broker.refuses(record));
    if (refused !== undefined) throw brokerError('MESSAGE_TOO_LARGE');
    this.sends.push([...records]);
  }

  async sendOffsets(groupId: string, positions: readonly ConsumedPosition[]): Promise<void> {
    this.producer.broker.checkEpoch(this.producer);
    this.offsets.push({ groupId, positions: [...positions] });
  }

  async commit(): Promise<void> {
    this.producer.broker.checkEpoch(this.producer);
    const failure = this.producer.broker.commitFailures.shift();
    if (failure !== undefined) throw failure;
    this.outcome = 'committed';
    this.producer.broker.apply(this);
  }

  async abort(): Promise<void> {
    this.outcome = 'aborted';
  }
}

export class FakeProducer implements TransactionalProducer {
  readonly transactions: FakeTransaction[] = [];
  initialised = false;
  disconnected = false;

  constructor(
    readonly transactionalId: string,
    readonly broker: FakeBroker,
  ) {}

  async initTransactions(): Promise<void> {
    this.broker.initialise(this);
    this.initialised = true;
  }

  async beginTransaction(): Promise<Transaction> {
    const transaction = new FakeTransaction(this);
    this.transactions.push(transaction);
    return transaction;
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

export class FakeBroker {
  /** What committed transactions wrote, by topic and partition, in order. */
  readonly logs = new Map<string, OutputRecord[]>();
  /** Committed offsets, by group and topic. */
  readonly committed = new Map<string, Map<number, string>>();
  readonly partitionCounts = new Map<string, number>();
  readonly configs = new Map<string, Map<string, string>>();
  /** Every topic the admin was asked to ensure, in order. */
  readonly ensured: TopicSpec[] = [];
  /** Every topic whose configs the admin set, in order. */
  readonly configsSet: string[] = [];
  /** Failures the next commits meet, one each. */
  readonly commitFailures: Error[] = [];
  /** Records the broker refuses, whatever the request. */
  refuses: (record: OutputRecord) => boolean = () => false;
  private readonly current = new Map<string, FakeProducer>();

  initialise(producer: FakeProducer): void {
    this.current.set(producer.transactionalId, producer);
  }

  /** A producer fenced by a later one of its transactional id is refused, as by the broker. */
  checkEpoch(producer: FakeProducer): void {
    if (this.current.get(producer.transactionalId) !== producer) throw brokerError('INVALID_PRODUCER_EPOCH');
  }

  apply(transaction: FakeTransaction): void {
    for (const record of transaction.sends.flat()) {
      const key = `${record.topic}/${record.partition ?? 0}`;
      this.logs.set(key, [...(this.logs.get(key) ?? []), record]);
    }
    for (const { groupId, positions } of transaction.offsets) {
      for (const { topic, partition, nextOffset } of positions)
        this.commitOffset(groupId, topic, partition, nextOffset);
    }
  }

  commitOffset(groupId: string, topic: string, partition: number, nextOffset: string): void {
    const key = `${groupId}/${topic}`;
    const offsets = this.committed.get(key) ?? new Map<number, string>();
    offsets.set(partition, nextOffset);
    this.committed.set(key, offsets);
  }

  /** What committed transactions wrote to one partition. */
  log(topic: string, partition = 0): OutputRecord[] {
    return this.logs.get(`${topic}/${partition}`) ?? [];
  }
}

export class FakeAdmin implements KafkaAdmin {
  constructor(private readonly broker: FakeBroker) {}

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  brokerCount(): Promise<number> {
    return unexpected('brokerCount');
  }
  listTopics(): Promise<string[]> {
    return unexpected('listTopics');
  }
  async ensureTopics(topics: (string | TopicSpec)[]): Promise<void> {
    for (const topic of topics) {
      const spec = typeof topic === 'string' ? { topic } : topic;
      this.broker.ensured.push(spec);
      // As KafkaAdmin promises: a name alone gets three partitions, and an existing topic stays.
      if (!this.broker.partitionCounts.has(spec.topic))
        this.broker.partitionCounts.set(spec.topic, spec.partitions ?? 3);
      if (!this.broker.configs.has(spec.topic))
        this.broker.configs.set(spec.topic, new Map(Object.entries(spec.configs ?? {})));
    }
  }
  async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    return new Map(topics.map((topic) => [topic, this.broker.partitionCounts.get(topic)!]));
  }
  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const partitions = this.broker.partitionCounts.get(topic) ?? 0;
    return Array.from({ length: partitions }, (_, partition) => ({
      partition,
      low: '0',
      high: String(this.broker.log(topic, partition).length),
    }));
  }
  async topicConfigs(topic: string, names: string[]): Promise<Map<string, string>> {
    const configs = this.broker.configs.get(topic) ?? new Map<string, string>();
    return new Map([...configs].filter(([name]) => names.includes(name)));
  }
  async setTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    this.broker.configsSet.push(topic);
    this.broker.configs.set(topic, new Map(Object.entries(configs)));
  }
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    return new Map(this.broker.committed.get(`${groupId}/${topic}`) ?? []);
  }
  async describeGroup(): Promise<{ state: string; members: number }> {
    return { state: 'Empty', members: 0 };
  }
  listGroups(): Promise<string[]> {
    return unexpected('listGroups');
  }
  deleteTopics(): Promise<void> {
    return unexpected('deleteTopics');
  }
  deleteGroups(): Promise<void> {
    return unexpected('deleteGroups');
  }
}

/** One instance's Kafka client of a FakeBroker. */
export class FakeKafka implements KafkaClient {
  readonly producers: FakeProducer[] = [];
  readonly reads: PartitionRead['partitions'][] = [];
  readonly consumer = new FakeConsumer();
  private readonly fakeAdmin: FakeAdmin;

  constructor(readonly broker = new FakeBroker()) {
    this.fakeAdmin = new FakeAdmin(broker);
  }

  admin(): FakeAdmin {
    return this.fakeAdmin;
  }
  producer(): never {
    return unexpected('producer');
  }
  transactionalProducer(transactionalId: string): FakeProducer {
    const producer = new FakeProducer(transactionalId, this.broker);
    this.producers.push(producer);
    return producer;
  }
  groupConsumer(): FakeConsumer {
    return this.consumer;
  }
  /** Serves what committed transactions wrote, an offset per record in the order written. */
  async readPartitions(read: PartitionRead): Promise<void> {
    this.reads.push(read.partitions);
    for (const { partition, from, to } of read.partitions) {
      const records: SourceRecord[] = this.broker
        .log(read.topic, partition)
        .map((record, offset) => ({
          topic: read.topic,
          partition,
          offset: String(offset),
          key: record.key,
          value: record.value === null ? null : Buffer.from(record.value),
        }))
        .filter(({ offset }) => BigInt(offset) >= BigInt(from) && BigInt(offset) < BigInt(to));
      if (records.length > 0) await read.onRecords(records);
    }
  }

  /** The producers made for one transactional id, oldest first. */
  producersOf(transactionalId: string): FakeProducer[] {
    return this.producers.filter((producer) => producer.transactionalId === transactionalId);
  }
}

/** A group consumer that delivers what the test hands it. */
export class FakeConsumer implements GroupConsumer {
  readonly seeks: { topic: string; partition: number; offset: string }[] = [];
  subscribed: string[] = [];
  private eachBatch?: (batch: FetchedBatch) => Promise<void>;
  private assignmentListeners: ((assignment: Record<string, readonly number[]>) => void)[] = [];
  private fetchEndListeners: ((end: FetchEnd) => void)[] = [];

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async subscribe(topics: string[]): Promise<void> {
    this.subscribed = topics;
  }
  async run(delivery: { eachBatch: (batch: FetchedBatch) => Promise<void> }): Promise<void> {
    this.eachBatch = delivery.eachBatch;
  }
  onAssignment(listener: (assignment: Record<string, readonly number[]>) => void): void {
    this.assignmentListeners.push(listener);
  }
  onFetchEnd(listener: (end: FetchEnd) => void): void {
    this.fetchEndListeners.push(listener);
  }
  onCrash(): void {}
  pause(): void {
    unexpected('pause');
  }
  resume(): void {
    unexpected('resume');
  }
  seek(topic: string, partition: number, offset: string): void {
    this.seeks.push({ topic, partition, offset });
  }
  commitOffsets(): Promise<void> {
    return unexpected('commitOffsets');
  }

  /** Delivers one fetch of records; resolves to the offsets resolved, once the handler is done. */
  async deliver(
    records: SourceRecord[],
    fetchedFrom = records[0]!.offset,
    isStale: () => boolean = () => false,
  ): Promise<string[]> {
    const resolved: string[] = [];
    await this.eachBatch!({
      topic: records[0]!.topic,
      partition: records[0]!.partition,
      records,
      fetchedFrom,
      resolveOffset: (offset) => resolved.push(offset),
      heartbeat: async () => {},
      isRunning: () => true,
      isStale,
    });
    return resolved;
  }

  assign(assignment: Record<string, readonly number[]>): void {
    for (const listener of this.assignmentListeners) listener(assignment);
  }

  fetchEnd(end: FetchEnd): void {
    for (const listener of this.fetchEndListeners) listener(end);
  }
}

/** A Cassandra store's upsert that keeps the rows and refuses those the test names. */
export class FakeStore {
  readonly written: Row[][] = [];
  /** Failures the next upserts meet, one each. */
  readonly failures: Error[] = [];
  refuses: (row: Row) => string | undefined = () => undefined;

  async upsert(rows: Row[]): Promise<RefusedRow[]> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    this.written.push(rows);
    return rows.flatMap((row) => {
      const reason = this.refuses(row);
      return reason === undefined ? [] : [{ row, reason }];
    });
  }
}

/** A real logger whose entries the test reads back. */
export function capturedLog(): { log: Logger; entries: Record<string, unknown>[] } {
  const entries: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line)) });
  return { log, entries };
}

export const WARN = 40;
export const INFO = 30;
export const ERROR = 50;

/** What a prom-client metric gives back: each series with its labels, a histogram's named too. */
interface ReadableMetric {
  get(): Promise<{
    values: { value: number; labels: Partial<Record<string, string | number>>; metricName?: string }[];
  }>;
}

/** The value of a metric's series with these labels; a histogram's `_count` or `_sum` by `series`. */
export async function metricValue(
  metric: ReadableMetric,
  labels: Record<string, string>,
  series?: 'count' | 'sum',
): Promise<number | undefined> {
  const { values } = await metric.get();
  const found = values.find(
    (sample) =>
      (series === undefined || sample.metricName?.endsWith(`_${series}`) === true) &&
      Object.entries(labels).every(([label, value]) => String(sample.labels[label]) === value),
  );
  return found?.value;
}
