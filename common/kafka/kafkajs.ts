/**
 * The Kafka client interface (./client.ts) on kafkajs 2.2.4 with the patches in patches/
 * (README: the streaming core): the one module of the project that imports kafkajs.
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, {
  Kafka,
  Partitioners,
  logLevel,
  type Consumer,
  type KafkaConfig,
  type KafkaMessage,
  type logCreator,
  type Producer,
  type RetryOptions,
  type TopicMessages,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { OutputRecord, SourceRecord } from '../records.ts';
import type {
  ConsumedPosition,
  GroupConsumer,
  GroupConsumerSettings,
  KafkaAdmin,
  KafkaClient,
  KafkaClientSettings,
  KafkaErrorKind,
  PartitionRead,
  ProducedRecord,
  RecordProducer,
  TopicSpec,
  TransactionalProducer,
} from './client.ts';

// Node's named-export detection of the kafkajs CommonJS module stops before this one.
const { ConfigResourceTypes } = kafkajs;

const DEFAULT_PARTITIONS = 3;

/**
 * kafkajs' first retry after 300 ms costs every transaction that meets the previous one's markers
 * still being written (CONCURRENT_TRANSACTIONS, tulios/kafkajs#304): that wait cut a
 * consume-and-transact loop to a tenth of its speed. Retries start at 10 ms and double, and last
 * long enough to ride out a broker restart.
 */
const LONG_RETRIES: RetryOptions = { initialRetryTime: 10, retries: 12, maxRetryTime: 30_000 };

/**
 * The Java client's connection setup timeout, where kafkajs's is 1 s. A connection's timer and
 * its completion wait in the same event loop: one busy for a second (decoding a large restore,
 * say) timed out connections to a broker that had accepted them, and their retries.
 */
const CONNECTION_TIMEOUT_MS = 10_000;

export function createKafkaClient(settings: KafkaClientSettings): KafkaClient {
  const { brokers, clientId, log, requestRetries = 'default', connectionTimeoutMs } = settings;
  if (brokers.length === 0) throw new Error('a Kafka client needs at least one broker');
  const config: KafkaConfig = {
    clientId,
    brokers,
    ...(log === undefined
      ? { logLevel: logLevel.NOTHING }
      : { logLevel: logLevel.WARN, logCreator: kafkaLogs(log) }),
    ...(requestRetries === 'long' && { retry: LONG_RETRIES }),
    ...(requestRetries === 'none' && { retry: { retries: 0 } }),
    connectionTimeout: connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
  };
  const kafka = new Kafka(config);
  return {
    admin: () => createAdmin(kafka),
    producer: () => createProducer(kafka),
    transactionalProducer: (transactionalId) => createTransactionalProducer(kafka, transactionalId),
    groupConsumer: (consumerSettings) => createGroupConsumer(kafka, consumerSettings),
    readPartitions: (read) => readPartitions(config, read),
  };
}

function createAdmin(kafka: Kafka): KafkaAdmin {
  const admin = kafka.admin();
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    brokerCount: async () => (await admin.describeCluster()).brokers.length,
    listTopics: () => admin.listTopics(),
    async ensureTopics(topics) {
      const specs: TopicSpec[] = topics.map((spec) => (typeof spec === 'string' ? { topic: spec } : spec));
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter(({ topic }) => !existing.has(topic));
      if (missing.length === 0) return;
      // kafkajs answers a topic created meanwhile by another program as success (false).
      await admin.createTopics({
        topics: missing.map(({ topic, partitions, compacted, configs }) => ({
          topic,
          numPartitions: partitions ?? DEFAULT_PARTITIONS,
          configEntries: Object.entries({
            ...(compacted === true && { 'cleanup.policy': 'compact' }),
            ...configs,
          }).map(([name, value]) => ({ name, value })),
        })),
        waitForLeaders: true,
      });
    },
    async partitionCounts(topics) {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      return new Map(metadata.map(({ name, partitions }) => [name, partitions.length]));
    },
    async topicOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map(({ partition, low, high }) => ({ partition, low, high }));
    },
    async topicConfigs(topic, names) {
      const { resources } = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }],
        includeSynonyms: false,
      });
      return new Map(
        (resources[0]?.configEntries ?? []).map(({ configName, configValue }) => [configName, configValue]),
      );
    },
    async setTopicConfigs(topic, configs) {
      // kafkajs has only the original AlterConfigs, which replaces a resource's configs whole.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    },
    async committedOffsets(groupId, topic) {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map(
        (committed?.partitions ?? [])
          .filter(({ offset }) => Number(offset) >= 0)
          .map(({ partition, offset }) => [partition, offset]),
      );
    },
    async describeGroup(groupId) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      if (group === undefined) throw new Error(`the broker did not describe group ${groupId}`);
      return { state: group.state, members: group.members.length };
    },
    async listGroups() {
      const { groups } = await admin.listGroups();
      return groups.map(({ groupId }) => groupId);
    },
    deleteTopics: (topics) => admin.deleteTopics({ topics }),
    async deleteGroups(groupIds) {
      await admin.deleteGroups(groupIds);
    },
  };
}

/** Records grouped by topic for one kafkajs request, in their order. */
function topicMessages(records: readonly ProducedRecord[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const { topic, partition, key, value } of records) {
    let messages = byTopic.get(topic);
    if (messages === undefined) {
      messages = { topic, messages: [] };
      byTopic.set(topic, messages);
    }
    messages.messages.push({ key, value, ...(partition !== undefined && { partition }) });
  }
  return [...byTopic.values()];
}

const ACKS_ALL = -1;

function kafkajsProducer(kafka: Kafka, transactionalId?: string): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Keys partition exactly as Java clients do (murmur2), so any consumer can rely on key order.
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(transactionalId !== undefined && { transactionalId }),
  });
}

function createProducer(kafka: Kafka): RecordProducer {
  const producer = kafkajsProducer(kafka);
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(records) {
      await producer.sendBatch({ acks: ACKS_ALL, topicMessages: topicMessages(records) });
    },
  };
}

/** How often and how soon to ask again when the previous transaction is still being completed. */
const CONCURRENT_TRANSACTION_RETRIES = 50;
const CONCURRENT_TRANSACTION_WAIT_MS = 5;

function createTransactionalProducer(kafka: Kafka, transactionalId: string): TransactionalProducer {
  const producer = kafkajsProducer(kafka, transactionalId);
  return {
    async initTransactions() {
      await producer.connect();
      // kafkajs registers the transactional id with the broker on the first transaction: the
      // fencing step. An empty transaction sends nothing more.
      await (await producer.transaction()).abort();
    },
    async beginTransaction() {
      const transaction = await producer.transaction();
      return {
        async send(records: readonly OutputRecord[]) {
          await transaction.sendBatch({ acks: ACKS_ALL, topicMessages: topicMessages(records) });
        },
        async sendOffsets(groupId: string, positions: readonly ConsumedPosition[]) {
          const offsets = { consumerGroupId: groupId, topics: offsetsByTopic(positions) };
          // kafkajs retries CONCURRENT_TRANSACTIONS for AddPartitionsToTxn but not for
          // AddOffsetsToTxn, which leaves the transaction open and usable: asking again soon is
          // safe and cheap.
          for (let attempt = 0; ; attempt += 1) {
            try {
              await transaction.sendOffsets(offsets);
              return;
            } catch (error) {
              if (
                brokerCode(error) !== 'CONCURRENT_TRANSACTIONS' ||
                attempt >= CONCURRENT_TRANSACTION_RETRIES
              )
                throw error;
              await sleep(CONCURRENT_TRANSACTION_WAIT_MS * (attempt + 1));
            }
          }
        },
        commit: () => transaction.commit(),
        abort: () => transaction.abort(),
      };
    },
    disconnect: () => producer.disconnect(),
  };
}

function offsetsByTopic(positions: readonly ConsumedPosition[]) {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, nextOffset } of positions) {
    const partitions = byTopic.get(topic) ?? [];
    partitions.push({ partition, offset: nextOffset });
    byTopic.set(topic, partitions);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

function sourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    value: message.value,
  };
}

function createGroupConsumer(kafka: Kafka, settings: GroupConsumerSettings): GroupConsumer {
  const { groupId, maxWaitMs, sessionTimeoutMs, maxBytesPerPartition } = settings;
  const consumer: Consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    ...(maxWaitMs !== undefined && { maxWaitTimeInMs: maxWaitMs }),
    ...(sessionTimeoutMs !== undefined && {
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.floor(sessionTimeoutMs / 5),
    }),
    ...(maxBytesPerPartition !== undefined && { maxBytesPerPartition, maxBytes: maxBytesPerPartition * 8 }),
  });
  return {
    connect: () => consumer.connect(),
    disconnect: () => consumer.disconnect(),
    subscribe: (topics) => consumer.subscribe({ topics, fromBeginning: true }),
    run: ({ partitionsConcurrently = 1, eachBatch }) =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: partitionsConcurrently,
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
          eachBatch({
            topic: batch.topic,
            partition: batch.partition,
            records: batch.messages.map((message) => sourceRecord(batch.topic, batch.partition, message)),
            // kafkajs delivers no empty batch, so the fetch has a first offset.
            fetchedFrom: batch.firstOffset()!,
            resolveOffset,
            heartbeat,
            isRunning,
            isStale,
          }),
      }),
    onAssignment(listener) {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => listener(payload.memberAssignment));
    },
    onFetchEnd(listener) {
      // kafkajs ends every fetched batch with this event, also one that held only transaction
      // markers or aborted records and reached no eachBatch.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
        listener({
          topic: payload.topic,
          partition: payload.partition,
          lastOffset: payload.lastOffset,
          records: payload.batchSize,
        }),
      );
    },
    onCrash(listener) {
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        listener({ error: payload.error, restarting: payload.restart }),
      );
    },
    pause: (topic, partitions) => consumer.pause([{ topic, partitions }]),
    resume: (topic, partitions) => consumer.resume([{ topic, partitions }]),
    seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
    commitOffsets: (positions) =>
      consumer.commitOffsets(
        positions.map(({ topic, partition, nextOffset }) => ({ topic, partition, offset: nextOffset })),
      ),
  };
}

/** The parts of kafkajs's internals a read without a group uses (kafkajs 2.2.4, pinned). */
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  /** Partitions by the id of the broker that leads them. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(broker: { nodeId: string }): Promise<KafkajsBroker>;
}
interface KafkajsBroker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchedPartition[] }[] }>;
}
interface FetchedPartition {
  partition: number;
  lastStableOffset: string;
  /** Every record fetched, control records and those of aborted transactions included. */
  messages: KafkaMessage[];
}
type KafkajsBatch = new (
  topic: string,
  fetchedOffset: string,
  partition: FetchedPartition,
) => { messages: KafkaMessage[] };

const kafkajsInternals = createRequire(import.meta.url);
const KafkajsClusterClass = kafkajsInternals('kafkajs/src/cluster/index.js') as new (
  options: object,
) => KafkajsCluster;
/** What a group consumer makes of a fetch: aborted records and control records left out (patch 001). */
const KafkajsBatchClass = kafkajsInternals('kafkajs/src/consumer/batch.js') as KafkajsBatch;
const { createLogger } = kafkajsInternals('kafkajs/src/loggers/index.js') as {
  createLogger(options: { level: logLevel; logCreator: logCreator }): object;
};
const defaultSocketFactory = kafkajsInternals('kafkajs/src/network/socketFactory.js') as () => object;
const READ_COMMITTED = 1;
const READ_MAX_BYTES_PER_PARTITION = 16 * 1024 * 1024;
/** How long a fetch waits at a partition's end: only an open transaction keeps a read there. */
const READ_MAX_WAIT_MS = 50;
const READ_RETRY_WAIT_MS = 200;

/**
 * Reads the ranges with fetch requests of its own to each partition's leader: kafkajs's
 * consumers all belong to a group, and a group per read would cost a join (and its log lines)
 * at every restore. Only the connections are kafkajs's; which offset comes next is decided here.
 */
async function readPartitions(
  config: KafkaConfig,
  { topic, partitions, onRecords, timeoutMs }: PartitionRead,
) {
  const positions = new Map(
    partitions
      .filter(({ from, to }) => BigInt(to) > BigInt(from))
      .map(({ partition, from, to }) => [partition, { next: BigInt(from), to: BigInt(to) }]),
  );
  if (positions.size === 0) return;
  const deadline = Date.now() + timeoutMs;
  const cluster = new KafkajsClusterClass({
    ...config,
    logger: createLogger({
      level: config.logLevel ?? logLevel.NOTHING,
      logCreator: config.logCreator ?? (() => () => undefined),
    }),
    socketFactory: defaultSocketFactory(),
    isolationLevel: READ_COMMITTED,
  });
  try {
    await cluster.connect();
    await cluster.addTargetTopic(topic);
    while (positions.size > 0) {
      if (Date.now() > deadline)
        throw new Error(`reading ${topic} to its end took over ${timeoutMs / 1000} s`);
      try {
        const byLeader = cluster.findLeaderForPartitions(topic, [...positions.keys()]);
        if (Object.keys(byLeader).length === 0) {
          // The metadata names no leader for what is left to read (a partition being created).
          await sleep(READ_RETRY_WAIT_MS);
          await cluster.refreshMetadata();
          continue;
        }
        await Promise.all(
          Object.entries(byLeader).map(async ([nodeId, led]) => {
            const broker = await cluster.findBroker({ nodeId });
            const { responses } = await broker.fetch({
              isolationLevel: READ_COMMITTED,
              maxWaitTime: READ_MAX_WAIT_MS,
              maxBytes: READ_MAX_BYTES_PER_PARTITION * led.length,
              topics: [
                {
                  topic,
                  partitions: led.map((partition) => ({
                    partition,
                    fetchOffset: String(positions.get(partition)!.next),
                    maxBytes: READ_MAX_BYTES_PER_PARTITION,
                  })),
                },
              ],
            });
            for (const fetched of responses.flatMap(({ partitions: answered }) => answered)) {
              await readFetched(topic, fetched, positions, onRecords);
            }
          }),
        );
      } catch (error) {
        if (kafkaErrorKind(error).kind !== 'retriable') throw error;
        // A leader moved or a broker restarts: ask the cluster again where each partition is.
        await sleep(READ_RETRY_WAIT_MS);
        await cluster.refreshMetadata().catch(() => undefined);
      }
    }
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

/** Delivers one partition's fetched records below its range's end, and moves its position on. */
async function readFetched(
  topic: string,
  fetched: FetchedPartition,
  positions: Map<number, { next: bigint; to: bigint }>,
  onRecords: PartitionRead['onRecords'],
): Promise<void> {
  const position = positions.get(fetched.partition);
  if (position === undefined) return;
  const fetchedFrom = position.next;
  const delivered = new KafkajsBatchClass(topic, String(fetchedFrom), fetched).messages
    .filter(({ offset }) => BigInt(offset) < position.to)
    .map((message) => sourceRecord(topic, fetched.partition, message));
  let last = -1n;
  for (const { offset } of fetched.messages) if (BigInt(offset) > last) last = BigInt(offset);
  if (last >= fetchedFrom) position.next = last + 1n;
  else if (BigInt(fetched.lastStableOffset) >= position.to) {
    // Nothing at or after the position below the last stable offset: what the range still spans
    // was compacted away (a fetch holds every record batch that fits, and one always fits).
    position.next = position.to;
  }
  if (delivered.length > 0) await onRecords(delivered);
  if (position.next >= position.to) positions.delete(fetched.partition);
}

const FENCED_CODES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
/** Broker errors that refuse a record itself: sending it again can never succeed. */
const RECORD_REFUSED_CODES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);

type KafkajsError = Error & { type?: string; retriable?: boolean };

/** The broker's error code, however deep kafkajs wrapped it (retries exceeded, say). */
function brokerCode(error: unknown): string | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { type } = cause as KafkajsError;
    if (type !== undefined) return type;
  }
  return undefined;
}

export function kafkaErrorKind(error: unknown): KafkaErrorKind {
  const code = brokerCode(error);
  if (code !== undefined && FENCED_CODES.has(code)) return { kind: 'fenced' };
  if (code !== undefined && RECORD_REFUSED_CODES.has(code)) return { kind: 'record refused', code };
  // As kafkajs decides whether to restart a consumer: by the innermost cause.
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error && (cause as KafkajsError).retriable === true
    ? { kind: 'retriable' }
    : { kind: 'other' };
}

const keyPartitioner = Partitioners.DefaultPartitioner();

/** The partition a keyed record gets among `partitions`: murmur2, as the Java client's. */
export function keyPartition(key: string, partitions: number): number {
  return keyPartitioner({
    topic: '',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}

const IDEMPOTENT_RETRIES_WARNING =
  'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * CONCURRENT_TRANSACTIONS: a transaction's first request meets the previous one's markers still
 * being written. kafkajs retries it at once (10 ms, see LONG_RETRIES), and it happens to some
 * commits of every busy pipeline: routine, not news.
 */
const CONCURRENT_TRANSACTIONS =
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

/** How one kafkajs log entry reaches our log. */
export function kafkaLogLevel(
  level: logLevel,
  message: string,
  extra: Record<string, unknown>,
): 'skip' | 'debug' | 'info' | 'warn' {
  // Our transactions bound a producer's retries on purpose: a transaction that runs out of
  // them is aborted and redone whole, which keeps exactly-once; kafkajs warns at every claim.
  if (message === IDEMPOTENT_RETRIES_WARNING) return 'skip';
  // kafkajs names it as a response's error, or in the message of a send it retries.
  if (extra['error'] === CONCURRENT_TRANSACTIONS || message.endsWith(CONCURRENT_TRANSACTIONS)) return 'debug';
  // kafkajs logs every retriable protocol error (a coordinator still loading, say) at ERROR
  // although it retries them itself; real failures reach us as rejections and are logged
  // where they are handled. So its errors become warnings in our log.
  return level <= logLevel.WARN ? 'warn' : 'info';
}

function kafkaLogs(log: Logger): logCreator {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: { message, ...extra } }) => {
      const as = kafkaLogLevel(level, message, extra);
      if (as !== 'skip') kafkaLog[as]({ namespace, ...extra }, message);
    };
}
