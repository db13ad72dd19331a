import { Command, Option } from 'commander';
import { pino } from 'pino';
import { CassandraStore } from '../common/cassandra.ts';
import { loadSettings, runCli } from '../common/cli.ts';
import { serveMetrics } from '../common/http.ts';
import { untilAvailable } from '../common/backoff.ts';
import { createKafkaClient, exitWhenConsumerStops } from '../common/kafka.ts';
import { loadProcessorConfig, parsePipelines, type ProcessorConfig } from './config.ts';
import { createProcessorMetrics } from './metrics.ts';
import { TopologyRunner } from './runtime/run-topology.ts';
import { pipelineNames } from '../streams/index.ts';

const log = pino({ name: 'processor' }, pino.destination(2));

/** Serves metrics, connects, then runs the pipelines until SIGTERM or SIGINT. */
async function runPipelines(config: ProcessorConfig, pipelines: string[]): Promise<void> {
  const metrics = createProcessorMetrics();
  const topologies = pipelines.map((name) => {
    const pipeline = config.pipelinesAvailable.get(name)!;
    return { topology: pipeline.create(metrics.registry, config.eventTimes), keyspace: pipeline.keyspace };
  });
  let ready = false;
  const server = await serveMetrics(metrics.registry, {
    host: config.metricsHost,
    port: config.metricsPort,
    portSetting: 'PROCESSOR_METRICS_PORT',
    // Ready while it can do its job: consuming, and with each pipeline's Cassandra reachable.
    isReady: () => ready && runners.every(({ store }) => store.isReachable()),
  });
  log.info(
    { url: `http://${config.metricsHost}:${config.metricsPort}/metrics`, pipelines },
    'serving metrics',
  );

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `processor-${config.instanceId}`,
    log,
    requestRetries: 'long',
  });
  const admin = kafka.admin();
  const stop = new AbortController();
  const runners = topologies.map(({ topology, keyspace }) => {
    const store = new CassandraStore({
      contactPoints: config.cassandraContactPoints,
      localDataCenter: config.cassandraLocalDc,
      keyspace,
    });
    const runner = new TopologyRunner(topology, {
      kafka,
      admin,
      store,
      metrics,
      log,
      settings: config.runtime,
      stop: stop.signal,
    });
    return { topology, store, runner };
  });

  await untilAvailable('kafka admin', () => admin.connect(), log);
  for (const { topology, store, runner } of runners) {
    await untilAvailable(`${topology.name}: kafka topics`, () => runner.prepareTopics(), log);
    await untilAvailable(
      `${topology.name}: cassandra schema`,
      async () => {
        await store.connect();
        await store.applySchema(topology.schema.file, topology.schema.keyspace);
      },
      log,
    );
    await untilAvailable(`${topology.name}: kafka consumer`, () => runner.connect(), log);
  }

  async function shutdown(signal: string): Promise<void> {
    if (stop.signal.aborted) return;
    stop.abort();
    log.info({ signal }, 'finishing the current batches, then stopping');
    for (const { runner, store } of runners) {
      await runner.stop();
      await store.shutdown();
    }
    await admin.disconnect();
    server.close();
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  for (const { topology, runner } of runners) {
    exitWhenConsumerStops(runner.consumer, log, stop.signal);
    await runner.run();
    log.info({ pipeline: topology.name, group: runner.groupId }, 'consuming');
  }
  ready = true;
}

const cli = new Command('processor')
  .description('Runs stream topologies: Kafka in, Cassandra rows and Kafka records out, exactly once.')
  .addOption(
    new Option('--pipelines <names>', `comma-separated pipelines to run (${pipelineNames().join(', ')})`).env(
      'PROCESSOR_PIPELINES',
    ),
  )
  .addHelpText('after', '\nEvery other setting is an environment variable: see the README table.')
  .exitOverride()
  .configureOutput({
    writeErr: (text) => process.stderr.write(text.startsWith('error:') ? `processor: ${text}` : text),
  })
  .action(async (options: { pipelines?: string }) => {
    const config = loadSettings(loadProcessorConfig);
    await runPipelines(config, parsePipelines(options.pipelines, [...config.pipelinesAvailable.keys()]));
  });

await runCli(cli, 'processor', { exitWhenDone: false });
