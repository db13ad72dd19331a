import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import cron from 'node-cron';
import { pino } from 'pino';
import { untilAvailable } from '../common/backoff.ts';
import { CassandraStore } from '../common/cassandra.ts';
import { serveMetrics } from '../common/http.ts';
import { loadBatchConfig, type BatchConfig } from './config.ts';
import { reportStatsJob, topLowPersonsJob, type TimeRange } from './jobs.ts';
import {
  BATCH_JOBS,
  createBatchMetrics,
  showBuckets,
  showLeaderboard,
  type BatchMetrics,
} from './metrics.ts';
import { queryApi } from './query-api.ts';
import { HarmonyQueries, HarmonyTables } from './store.ts';
import { UsageError, runCli } from '../common/cli.ts';
import { parseRange, type RawRangeOptions } from './options.ts';

const LATEST_BOARD = 'latest';
const schemaFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../provisioning/cassandra/harmony.cql',
);
const log = pino({ name: 'batch' }, pino.destination(2));

interface Options extends RawRangeOptions {
  once?: boolean;
  json?: boolean;
}

function openStore(config: BatchConfig): CassandraStore {
  return new CassandraStore({
    contactPoints: config.cassandraContactPoints,
    localDataCenter: config.cassandraLocalDc,
    keyspace: config.keyspace,
  });
}

async function connect(store: CassandraStore, config: BatchConfig): Promise<void> {
  try {
    await store.connect();
  } catch (error) {
    throw new Error(
      `cannot reach Cassandra at ${config.cassandraContactPoints.join(',')}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  await store.applySchema(schemaFile, 'harmony');
}

/** Runs both jobs once over the given ranges; each job's run is timed and counted. */
async function runJobs(
  tables: HarmonyTables,
  config: BatchConfig,
  metrics: BatchMetrics,
  ranges: { board: string; top: TimeRange; buckets: TimeRange },
) {
  const timed = async <T>(job: string, run: () => Promise<T>): Promise<T> => {
    const stopTimer = metrics.duration.startTimer({ name: job });
    try {
      const result = await run();
      metrics.runs.inc({ name: job, outcome: 'success' });
      metrics.lastSuccess.set({ name: job }, Date.now() / 1000);
      return result;
    } catch (error) {
      metrics.runs.inc({ name: job, outcome: 'failure' });
      throw error;
    } finally {
      stopTimer();
    }
  };
  const leaderboard = await timed('top_low_persons', () =>
    topLowPersonsJob(tables, ranges.board, ranges.top, {
      threshold: config.lowScoreThreshold,
      size: config.topSize,
    }),
  );
  const buckets = await timed('report_stats', () => reportStatsJob(tables, ranges.buckets, config.bucketMs));
  return { leaderboard, buckets };
}

function rollingRanges(config: BatchConfig, now: Date) {
  return {
    board: LATEST_BOARD,
    top: { from: new Date(now.getTime() - config.topWindowMs), to: now },
    buckets: { from: new Date(now.getTime() - config.lookbackMs), to: now },
  };
}

async function runOnce(config: BatchConfig, options: Options): Promise<void> {
  const range = parseRange(options);
  const now = new Date();
  const ranges =
    range === undefined
      ? rollingRanges(config, now)
      : { board: `${range.from.toISOString()}/${range.to.toISOString()}`, top: range, buckets: range };
  const store = openStore(config);
  await connect(store, config);
  const tables = new HarmonyTables(store, config.keyspace);
  try {
    const { leaderboard, buckets } = await runJobs(tables, config, createBatchMetrics(), ranges);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ top_low_persons: leaderboard, report_stats: buckets }, null, 2)}\n`,
      );
    } else {
      log.info(
        { board: leaderboard.board, leaders: leaderboard.persons.length, buckets: buckets.length },
        'batch jobs done',
      );
    }
  } finally {
    await store.shutdown();
  }
}

async function runScheduled(config: BatchConfig): Promise<void> {
  const metrics = createBatchMetrics();
  let ready = false;
  const store = openStore(config);
  const api = { path: '/api', router: queryApi(new HarmonyQueries(store, config.keyspace)) };
  const server = await serveMetrics(metrics.registry, {
    host: config.httpHost,
    port: config.httpPort,
    portSetting: 'BATCH_HTTP_PORT',
    isReady: () => ready,
    mounted: [api],
  });
  const url = `http://${config.httpHost}:${config.httpPort}`;
  log.info({ metrics: `${url}/metrics`, api: `${url}/api` }, 'serving metrics and the query API');
  await untilAvailable('cassandra schema', () => connect(store, config), log);
  const tables = new HarmonyTables(store, config.keyspace);
  ready = true;

  let running: Promise<void> | undefined;
  const tick = () => {
    // A run still going when the next is due makes the next one a skip, never an overlap.
    if (running !== undefined) {
      for (const name of BATCH_JOBS) metrics.skipped.inc({ name });
      log.warn('previous run still going; skipping this one');
      return;
    }
    const now = new Date();
    running = runJobs(tables, config, metrics, rollingRanges(config, now))
      .then(({ leaderboard, buckets }) => {
        showLeaderboard(metrics, leaderboard);
        showBuckets(metrics, buckets, config.bucketMs, now);
        log.info({ leaders: leaderboard.persons.length, buckets: buckets.length }, 'batch jobs done');
      })
      .catch((error: unknown) => log.error({ err: error }, 'batch run failed; the next run retries'))
      .finally(() => {
        running = undefined;
      });
  };
  const task = cron.schedule(config.schedule, tick, { name: 'harmony-batch' });
  log.info({ schedule: config.schedule }, 'scheduled; first run now');
  tick();

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'stopping after the run in progress');
    await task.stop();
    await running;
    await store.shutdown();
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

const program = new Command('batch')
  .description(
    'Harmony batch statistics: the top low-harmony persons and per-bucket averages, from Cassandra.\n' +
      'Without options it runs on BATCH_SCHEDULE and serves Prometheus gauges.',
  )
  .option('--once', 'run every job now and exit')
  .option('--from <iso>', 'recompute from this event time (ISO-8601 with timezone); implies --once')
  .option('--to <iso>', 'recompute up to this event time, exclusive (default: now); implies --once')
  .option('--json', 'print the results as JSON on stdout; implies --once')
  .exitOverride()
  .action(async (options: Options) => {
    let config: BatchConfig;
    try {
      config = loadBatchConfig();
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (options.once || options.from !== undefined || options.to !== undefined || options.json) {
      await runOnce(config, options);
      process.exit(0);
    }
    await runScheduled(config);
  });

await runCli(program, 'batch', { exitWhenDone: false });
