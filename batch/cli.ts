import { Command } from 'commander';
import cron from 'node-cron';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { untilAvailable } from '../common/backoff.ts';
import { CassandraStore } from '../common/cassandra.ts';
import { serveMetrics } from '../common/http.ts';
import { SECOND_MS } from '../common/time.ts';
import { loadSettings, runCli } from '../common/cli.ts';
import { STREAMS } from '../streams/index.ts';
import { queryApi } from './api.ts';
import { loadBatchConfig, type BatchConfig } from './config.ts';
import { createBatchMetrics, declareJobs, type BatchMetrics } from './metrics.ts';
import { parseRange, type RawRangeOptions } from './options.ts';
import type { BatchJob, BatchStream, JobRun, StreamContext } from './stream.ts';

const log = pino({ name: 'batch' }, pino.destination(2));

interface Options extends RawRangeOptions {
  once?: boolean;
  json?: boolean;
}

/** A stream with its store (bound to its keyspace) and its jobs. */
interface OpenStream {
  stream: BatchStream;
  context: StreamContext;
  jobs: BatchJob[];
  /** Where its Cassandra is, for the error when it cannot be reached. */
  contactPoints: string;
}

function openStreams(config: BatchConfig, registry: Registry): OpenStream[] {
  const jobNames = new Set<string>();
  return config.streams.map(({ batch: stream, keyspace }) => {
    const store = new CassandraStore({
      contactPoints: config.cassandraContactPoints,
      localDataCenter: config.cassandraLocalDc,
      keyspace,
    });
    const context = { keyspace, store, registry, log: log.child({ stream: stream.name }) };
    const jobs = stream.jobs?.(context) ?? [];
    for (const job of jobs) {
      if (jobNames.has(job.name)) throw new Error(`two streams have a job named ${job.name}`);
      jobNames.add(job.name);
    }
    return { stream, context, jobs, contactPoints: config.cassandraContactPoints.join(',') };
  });
}

/** Connects a stream's store and prepares what its jobs need. */
async function connect({ stream, context, contactPoints }: OpenStream): Promise<void> {
  try {
    await context.store.connect();
  } catch (error) {
    const reason = (error as Error).message;
    throw new Error(`cannot reach Cassandra at ${contactPoints}: ${reason}`, { cause: error });
  }
  await stream.prepare?.(context);
}

/**
 * Runs a stream's jobs once, one after the other; each job's run is timed and counted, and one
 * that fails does not keep the next from running (each is counted for itself). The results by
 * job name and their summaries merged for one log line; fails after all ran if any failed.
 */
async function runJobs(open: OpenStream, metrics: BatchMetrics, when: JobRun) {
  const results: Record<string, unknown> = {};
  let summary: Record<string, unknown> = {};
  const failures: string[] = [];
  for (const job of open.jobs) {
    const stopTimer = metrics.duration.startTimer({ name: job.name });
    try {
      const outcome = await job.run(when);
      results[job.name] = outcome.result;
      summary = { ...summary, ...outcome.summary };
      metrics.runs.inc({ name: job.name, outcome: 'success' });
      metrics.lastSuccess.set({ name: job.name }, Date.now() / SECOND_MS);
    } catch (error) {
      metrics.runs.inc({ name: job.name, outcome: 'failure' });
      failures.push(`${job.name}: ${(error as Error).message}`);
    } finally {
      stopTimer();
    }
  }
  if (failures.length > 0) throw new Error(`batch jobs failed: ${failures.join('; ')}`);
  return { results, summary };
}

async function runOnce(config: BatchConfig, options: Options): Promise<void> {
  const range = parseRange(options);
  const metrics = createBatchMetrics();
  const opened = openStreams(config, metrics.registry);
  const streams = opened.filter((open) => open.jobs.length > 0);
  const when = { now: new Date(), ...(range !== undefined && { range }) };
  try {
    const results: Record<string, unknown> = {};
    for (const open of streams) {
      await connect(open);
      const ran = await runJobs(open, metrics, when);
      Object.assign(results, ran.results);
      log.info({ stream: open.stream.name, ...ran.summary }, 'batch jobs done');
    }
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await Promise.all(opened.map((open) => open.context.store.shutdown()));
  }
}

async function runScheduled(config: BatchConfig): Promise<void> {
  const metrics = createBatchMetrics();
  const streams = openStreams(config, metrics.registry);
  declareJobs(
    metrics,
    streams.flatMap((open) => open.jobs.map((job) => job.name)),
  );
  let ready = false;
  const api = queryApi(
    streams.map(({ stream, context }) => ({ name: stream.name, routes: stream.routes(context) })),
    config.api,
    log,
  );
  const server = await serveMetrics(metrics.registry, {
    host: config.httpHost,
    port: config.httpPort,
    portSetting: 'BATCH_HTTP_PORT',
    // Ready while it can answer: every stream's store connected and reachable now.
    isReady: () => ready && streams.every((open) => open.context.store.isReachable()),
    mounted: [{ path: '/api', router: api }],
  });
  const url = `http://${config.httpHost}:${config.httpPort}`;
  log.info({ metrics: `${url}/metrics`, api: `${url}/api` }, 'serving metrics and the query API');
  // The schedule runs from the start: a run due while its stream cannot connect is a failed run
  // (one due while the first attempt is still under way is skipped).
  const connected = new Set<string>();
  const unreachable = new Set<string>();
  const connectedAll = Promise.all(
    streams.map(async (open) => {
      const { name } = open.stream;
      const attempt = () =>
        connect(open).catch((error: unknown) => {
          unreachable.add(name);
          throw error;
        });
      await untilAvailable(`cassandra for ${name}`, attempt, log);
      connected.add(name);
    }),
  );

  // Per stream, a run still going when the next is due makes the next one a skip, never an overlap.
  const running = new Map<string, Promise<void>>();
  const tick = () => {
    const now = new Date();
    for (const open of streams) {
      const { name } = open.stream;
      if (open.jobs.length === 0) continue;
      if (!connected.has(name)) {
        if (unreachable.has(name)) {
          for (const job of open.jobs) metrics.runs.inc({ name: job.name, outcome: 'failure' });
          log.warn({ stream: name }, 'batch run cannot start: Cassandra not reachable; counted as failed');
        } else {
          for (const job of open.jobs) metrics.skipped.inc({ name: job.name });
        }
        continue;
      }
      if (running.has(name)) {
        for (const job of open.jobs) metrics.skipped.inc({ name: job.name });
        log.warn({ stream: name }, 'previous run still going; skipping this one');
        continue;
      }
      const run = runJobs(open, metrics, { now })
        .then(({ summary }) => log.info({ stream: name, ...summary }, 'batch jobs done'))
        .catch((error: unknown) =>
          log.error({ err: error, stream: name }, 'batch run failed; the next run retries'),
        )
        .finally(() => running.delete(name));
      running.set(name, run);
    }
  };
  const task = cron.schedule(config.schedule, tick, { name: 'batch' });
  log.info({ schedule: config.schedule }, 'scheduled; first run once Cassandra answers');
  void connectedAll.then(() => {
    ready = true;
    tick();
  });

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'stopping after the runs in progress');
    await task.stop();
    await Promise.all(running.values());
    await Promise.all(streams.map((open) => open.context.store.shutdown()));
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

const program = new Command('batch')
  .description(
    `Batch statistics and the query API of every stream (${STREAMS.map((stream) => stream.name).join(', ')}), from Cassandra.\n` +
      'Without options it runs the jobs on BATCH_SCHEDULE and serves Prometheus gauges and the query API.',
  )
  .option('--once', 'run every job now and exit')
  .option('--from <iso>', 'recompute from this event time (ISO-8601 with timezone); implies --once')
  .option('--to <iso>', 'recompute up to this event time, exclusive (default: now); implies --once')
  .option('--json', 'print the results as JSON on stdout, by job name; implies --once')
  .exitOverride()
  .action(async (options: Options) => {
    const config = loadSettings(loadBatchConfig);
    if (options.once || options.from !== undefined || options.to !== undefined || options.json) {
      await runOnce(config, options);
      process.exit(0);
    }
    await runScheduled(config);
  });

await runCli(program, 'batch', { exitWhenDone: false });
