import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { HARMONY_ALERTS_TOPIC } from '../schemas/harmony.ts';
import { CassandraStore } from '../common/cassandra.ts';
import { BAD_USAGE_EXIT_CODE, exitWithMessage } from '../common/cli.ts';
import { serveMetrics } from '../common/http.ts';
import { untilAvailable } from '../common/backoff.ts';
import { createKafka, ensureTopics, exitWhenConsumerStops, trackConsumerLag } from '../common/kafka.ts';
import { loadProcessorConfig } from './config.ts';
import { PartitionProducers, createConsumer } from './kafka.ts';
import { createProcessorMetrics } from './metrics.ts';
import { createHarmonyPipeline } from './pipelines/harmony.ts';
import { runPipeline } from './runtime.ts';

const log = pino({ name: 'processor' }, pino.destination(2));
const schemaFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../provisioning/cassandra/harmony.cql',
);

const config = await Promise.resolve()
  .then(() => loadProcessorConfig())
  .catch(exitWithMessage('processor', BAD_USAGE_EXIT_CODE));

const metrics = createProcessorMetrics();
const pipeline = createHarmonyPipeline(metrics.registry, config.topicPrefix);
let ready = false;
const server = await serveMetrics(metrics.registry, {
  host: config.metricsHost,
  port: config.metricsPort,
  portSetting: 'PROCESSOR_METRICS_PORT',
  isReady: () => ready,
}).catch(exitWithMessage('processor', 1));
log.info({ url: `http://${config.metricsHost}:${config.metricsPort}/metrics` }, 'serving metrics');

const kafka = createKafka(config.kafkaBrokers, `processor-${config.instanceId}`, log);
const admin = kafka.admin();
const store = new CassandraStore({
  contactPoints: config.cassandraContactPoints,
  localDataCenter: config.cassandraLocalDc,
  keyspace: config.keyspace,
});
const producers = new PartitionProducers(kafka, admin, config.groupId, `${config.groupId}-${pipeline.name}`);
const consumer = createConsumer(kafka, config.groupId, config.batchMaxWaitMs, config.sessionTimeoutMs);

await untilAvailable(
  'kafka topics',
  async () => {
    await admin.connect();
    await ensureTopics(admin, [
      pipeline.sourceTopic,
      pipeline.deadLetterTopic,
      `${config.topicPrefix}${HARMONY_ALERTS_TOPIC}`,
    ]);
  },
  log,
);
await untilAvailable(
  'cassandra schema',
  async () => {
    await store.connect();
    await store.applySchema(schemaFile, 'harmony');
  },
  log,
);
await untilAvailable('kafka consumer', () => consumer.connect(), log);

const lagTimer = trackConsumerLag(admin, config.groupId, pipeline.sourceTopic, metrics.consumerLag, log);

const stop = new AbortController();
async function shutdown(signal: string): Promise<void> {
  if (stop.signal.aborted) return;
  stop.abort();
  log.info({ signal }, 'finishing the current batch, then stopping');
  clearInterval(lagTimer);
  await consumer.disconnect();
  await producers.releaseAll();
  await admin.disconnect();
  await store.shutdown();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
exitWhenConsumerStops(consumer, log, stop.signal);

await runPipeline(pipeline, {
  consumer,
  producers,
  store,
  metrics,
  log,
  groupId: config.groupId,
  batchMaxRecords: config.batchMaxRecords,
  lateAfterMs: config.lateAfterMs,
  stop: stop.signal,
});
ready = true;
log.info({ topic: pipeline.sourceTopic, group: config.groupId }, 'consuming');
