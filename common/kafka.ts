import { Kafka, logLevel, type Admin, type Consumer, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

const IDEMPOTENT_RETRIES_WARNING =
  'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * CONCURRENT_TRANSACTIONS: a transaction's first request meets the previous one's markers still
 * being written. kafkajs retries it at once (10 ms, see createKafka), and it happens to some
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

export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogs(log),
    // kafkajs' first retry after 300 ms costs every transaction that meets the previous one's
    // markers still being written (CONCURRENT_TRANSACTIONS, tulios/kafkajs#304): that wait cut
    // a consume-and-transact loop to a tenth of its speed. Retries start at 10 ms and double.
    retry: { initialRetryTime: 10, retries: 12, maxRetryTime: 30_000 },
  });
}

/** A topic to create when missing: a name alone gets three partitions. */
export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** A topic of latest values per key (catalogue, changelog) rather than of events. */
  compacted?: boolean;
}

export async function ensureTopics(
  admin: Admin,
  topics: (string | TopicSpec)[],
  numPartitions = 3,
): Promise<void> {
  const specs = topics.map((spec) => (typeof spec === 'string' ? { topic: spec } : spec));
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter(({ topic }) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    topics: missing.map(({ topic, partitions, compacted }) => ({
      topic,
      numPartitions: partitions ?? numPartitions,
      ...(compacted === true && { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }),
    })),
    waitForLeaders: true,
  });
}

/** Partitions of each topic, as the cluster knows them. */
export async function partitionCounts(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  return new Map(metadata.map(({ name, partitions }) => [name, partitions.length]));
}

/** The group's committed offset of each partition of the topic that has one. */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, string>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(
    (committed?.partitions ?? [])
      .filter(({ offset }) => Number(offset) >= 0)
      .map(({ partition, offset }) => [partition, offset]),
  );
}

/** Records between each partition's committed offset and its end. */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<{ partition: number; lag: number }[]> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    committedOffsets(admin, groupId, topic),
  ]);
  return ends.map(({ partition, high, low }) => ({
    partition,
    lag: Number(high) - Number(committed.get(partition) ?? low),
  }));
}

const LAG_INTERVAL_MS = 5000;

/** Keeps a lag gauge current for one group and topic ({topic, partition}); returns the timer to clear. */
export function trackConsumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
  setLag: (labels: { topic: string; partition: string }, lag: number) => void,
  log: Logger,
): NodeJS.Timeout {
  return setInterval(() => {
    consumerLag(admin, groupId, topic)
      .then((lags) => {
        for (const { partition, lag } of lags) setLag({ topic, partition: String(partition) }, lag);
      })
      .catch((error: unknown) => log.debug({ err: error }, 'lag not available'));
  }, LAG_INTERVAL_MS);
}

/**
 * kafkajs restarts a consumer after retriable failures by itself; after any other it stops
 * consuming for good while the process lives on, still answering /healthz. Exiting instead
 * lets a supervisor (compose's restart policy, systemd) restart it.
 */
export function exitWhenConsumerStops(consumer: Consumer, log: Logger, stopping: AbortSignal): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || stopping.aborted) return;
    log.fatal({ err: payload.error }, 'the Kafka consumer stopped for good; exiting');
    process.exit(1);
  });
}
