/**
 * Kafka for every program, bench, service check and test: the client interface
 * (./kafka/client.ts), the adapter that implements it (the one line to change when the client
 * changes), and what the programs build on it.
 */
import type { Logger } from 'pino';
import type { GroupConsumer, KafkaAdmin } from './kafka/client.ts';

export type * from './kafka/client.ts';
export { createKafkaClient, kafkaErrorKind, keyPartition } from './kafka/kafkajs.ts';

/** Records between each partition's committed offset and its end. */
export async function consumerLag(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<{ partition: number; lag: number }[]> {
  const [ends, committed] = await Promise.all([
    admin.topicOffsets(topic),
    admin.committedOffsets(groupId, topic),
  ]);
  return ends.map(({ partition, high, low }) => ({
    partition,
    lag: Number(high) - Number(committed.get(partition) ?? low),
  }));
}

const LAG_INTERVAL_MS = 5000;

/** Keeps a lag gauge current for one group and topic ({topic, partition}); returns the timer to clear. */
export function trackConsumerLag(
  admin: KafkaAdmin,
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
 * The client restarts a consumer after retriable failures by itself; after any other it stops
 * consuming for good while the process lives on, still answering /healthz. Exiting instead
 * lets a supervisor (compose's restart policy, systemd) restart it.
 */
export function exitWhenConsumerStops(consumer: GroupConsumer, log: Logger, stopping: AbortSignal): void {
  consumer.onCrash(({ error, restarting }) => {
    if (restarting || stopping.aborted) return;
    log.fatal({ err: error }, 'the Kafka consumer stopped for good; exiting');
    process.exit(1);
  });
}
