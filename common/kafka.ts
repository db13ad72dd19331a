import { Kafka, logLevel, type Admin, type Consumer, type logCreator } from 'kafkajs';
import type { Gauge } from 'prom-client';
import type { Logger } from 'pino';

/**
 * kafkajs logs every retriable protocol error (a coordinator still loading, a concurrent
 * transaction) at ERROR although it retries them itself; real failures reach us as rejections
 * and are logged where they are handled. So its errors become warnings in our log.
 */
function kafkaLogs(log: Logger): logCreator {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: { message, ...extra } }) => {
      const fields = { namespace, ...extra };
      if (level <= logLevel.WARN) kafkaLog.warn(fields, message);
      else kafkaLog.info(fields, message);
    };
}

export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.WARN, logCreator: kafkaLogs(log) });
}

export async function ensureTopics(admin: Admin, topics: string[], numPartitions = 3): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    topics: missing.map((topic) => ({ topic, numPartitions })),
    waitForLeaders: true,
  });
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

/** Keeps a lag gauge ({topic, partition}) current for one group and topic; returns the timer to clear. */
export function trackConsumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
  gauge: Gauge<'topic' | 'partition'>,
  log: Logger,
): NodeJS.Timeout {
  return setInterval(() => {
    consumerLag(admin, groupId, topic)
      .then((lags) => {
        for (const { partition, lag } of lags) gauge.set({ topic, partition: String(partition) }, lag);
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
