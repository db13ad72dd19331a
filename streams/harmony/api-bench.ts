/**
 * The query API under load: every endpoint at a fixed concurrency over a keyspace of many stored
 * reports, beside the server's own floor (GET /healthz, no read) measured in the same run, with
 * the batch service's resident memory before and at its peak.
 */
import type { Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { CassandraStore, type Row } from '../../common/cassandra.ts';
import { sampleValue } from '../../common/exposition.ts';
import { DAY_MS, HOUR_MS } from '../../common/time.ts';
import { droneReports } from './drones.ts';
import { harmonyRows } from './topology.ts';
import { SCHEMA_FILE, type DroneReport } from './schema.ts';
// The API bench measures traffic's routes too, from empty tables: the one place a stream reaches into another.
import { SCHEMA_FILE as TRAFFIC_SCHEMA_FILE } from '../traffic/schema.ts';
import { projectRoot } from '../../services/config.ts';
import {
  connectServices,
  positiveInteger,
  printTable,
  say,
  scrape,
  sleep,
  withCleanup,
} from '../../bench/support.ts';

export interface ApiBenchOptions {
  reports: number;
  concurrency: number;
  requestsPerEndpoint: number;
}

const HTTP_PORT = 19642;
const DRONES = 100;
const SEED = 3;
const LOAD_CHUNK = 2000;

/** Stores the reports' rows as the processor writes them, a chunk at a time; a person and a drone seen. */
async function loadReports(contactPoint: string, keyspace: string, count: number, start: Date) {
  const store = new CassandraStore({
    contactPoints: [contactPoint],
    localDataCenter: 'datacenter1',
    keyspace,
  });
  await store.connect();
  await store.applySchema(SCHEMA_FILE, 'harmony');
  // Spread over the widest range the API takes (7 days), ending now.
  const reports = droneReports({ seed: SEED, drones: DRONES, start, intervalMs: (7 * DAY_MS) / count });
  let sample: DroneReport | undefined;
  const began = performance.now();
  let lastSaid = began;
  try {
    for (let loaded = 0; loaded < count;) {
      const rows: Row[] = [];
      for (let index = 0; index < LOAD_CHUNK && loaded < count; index += 1, loaded += 1) {
        const report = reports.next().value!;
        sample ??= report;
        rows.push(...harmonyRows(report));
      }
      await store.upsertEvery(rows);
      if (performance.now() - lastSaid > 10_000) {
        lastSaid = performance.now();
        say(`stored ${loaded} of ${count} reports`);
      }
    }
  } finally {
    await store.shutdown();
  }
  return { sample: sample!, seconds: (performance.now() - began) / 1000 };
}

/** The peak and current resident memory of a process, from Linux's own accounting. */
function residentMemory(pid: number): { peak: number; now: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { peak: kib('VmHWM') * 1024, now: kib('VmRSS') * 1024 };
}

interface LoadResult {
  latenciesMs: number[];
  statuses: Map<number, number>;
  seconds: number;
}

/** `total` GETs of one path by `concurrency` workers at once. */
async function load(url: string, total: number, concurrency: number): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      issued += 1;
      const began = performance.now();
      const response = await fetch(url).catch(() => undefined);
      await response?.arrayBuffer();
      latenciesMs.push(performance.now() - began);
      const status = response?.status ?? 0;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latenciesMs, statuses, seconds: (performance.now() - began) / 1000 };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

function waitForJobs(port: number, batch: ChildProcess): Promise<void> {
  return (async () => {
    for (;;) {
      if (batch.exitCode !== null) throw new Error(`the batch service exited with ${batch.exitCode}`);
      const text = await scrape(port).catch(() => '');
      const done = ['top_low_persons', 'report_stats'].every(
        (name) => (sampleValue(text, 'batch_job_runs_total', { name, outcome: 'success' }) ?? 0) >= 1,
      );
      if (done) return;
      await sleep(1000);
    }
  })();
}

export async function benchApi(options: ApiBenchOptions): Promise<void> {
  const services = await connectServices();
  const prefix = `bench_api_${Date.now().toString(36)}`;
  const keyspace = prefix;
  const trafficKeyspace = `${prefix}_traffic`;
  let batch: ChildProcess | undefined;
  await withCleanup(
    services,
    prefix,
    [keyspace, trafficKeyspace],
    () => (batch === undefined ? [] : [batch]),
    async () => {
      const now = Date.now();
      const start = new Date(now - 7 * DAY_MS);
      say(`storing ${options.reports} reports over 7 days into ${keyspace} (the processor's rows)`);
      const loaded = await loadReports(services.contactPoint, keyspace, options.reports, start);
      say(`stored in ${loaded.seconds.toFixed(0)} s`);
      // The traffic routes answer from empty tables: their cost without data.
      const traffic = new CassandraStore({
        contactPoints: [services.contactPoint],
        localDataCenter: 'datacenter1',
        keyspace: trafficKeyspace,
      });
      await traffic.connect();
      await traffic.applySchema(TRAFFIC_SCHEMA_FILE, 'traffic');
      await traffic.shutdown();

      batch = spawn(process.execPath, ['--import', 'tsx', 'batch/cli.ts'], {
        cwd: projectRoot,
        stdio: 'ignore',
        env: {
          ...process.env,
          CASSANDRA_CONTACT_POINTS: services.contactPoint,
          CASSANDRA_KEYSPACE_HARMONY: keyspace,
          CASSANDRA_KEYSPACE_TRAFFIC: trafficKeyspace,
          BATCH_HTTP_PORT: String(HTTP_PORT),
          // The jobs run once at start, to fill the tables two endpoints read; then not during the load.
          BATCH_SCHEDULE: '0 0 1 1 *',
        },
      });
      say('waiting for the batch service and its first job runs');
      await waitForJobs(HTTP_PORT, batch);
      const base = `http://127.0.0.1:${HTTP_PORT}`;
      const week = `from=${start.getTime()}&to=${now}`;
      const day = `from=${now - DAY_MS}&to=${now}`;
      const person = loaded.sample.persons[0]!.person_id;
      const endpoints: [string, string][] = [
        ['floor: GET /healthz (no read)', '/healthz'],
        ['reports, 7 days, limit 500', `/api/reports?${week}&limit=500`],
        [
          'reports of one drone, 7 days, limit 500',
          `/api/reports?${week}&limit=500&drone=${loaded.sample.drone_id}`,
        ],
        ['reports of no such drone, 7 days', `/api/reports?${week}&limit=500&drone=no-such-drone`],
        ['a person’s scores, 7 days', `/api/persons/${person}/scores?${week}&limit=1000`],
        ['leaderboard', '/api/leaderboard'],
        ['report stats, 7 days', `/api/report-stats?${week}`],
        ['drones, 24 h', `/api/drones?${day}`],
        ['traffic surges', '/api/traffic/surges'],
        ['a business’s views, 24 h', `/api/traffic/businesses/b-000001/views?${day}`],
      ];
      const before = residentMemory(batch.pid!);
      const rows: [string, string][] = [];
      for (const [name, pathAndQuery] of endpoints) {
        say(`${name}: ${options.requestsPerEndpoint} requests at concurrency ${options.concurrency}`);
        const result = await load(`${base}${pathAndQuery}`, options.requestsPerEndpoint, options.concurrency);
        const sorted = [...result.latenciesMs].sort((a, b) => a - b);
        const statuses = [...result.statuses.entries()]
          .sort(([a], [b]) => a - b)
          .map(([status, count]) => `${status}×${count}`)
          .join(' ');
        rows.push([
          name,
          `p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, ` +
            `max ${sorted.at(-1)!.toFixed(0)} ms, ${(options.requestsPerEndpoint / result.seconds).toFixed(0)} req/s (${statuses})`,
        ]);
      }
      const after = residentMemory(batch.pid!);
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
      rows.push(['batch service memory', `${mib(before.now)} before the load, peak ${mib(after.peak)}`]);
      printTable(
        `query API at concurrency ${options.concurrency} over ${options.reports} stored reports`,
        rows,
        [
          `reports stored at ${(options.reports / loaded.seconds).toFixed(0)}/s through CassandraStore.upsert`,
          'a 503 is the API refusing work beyond BATCH_API_MAX_IN_FLIGHT (32 by default), with Retry-After',
          `hours in the week's range: ${(7 * DAY_MS) / HOUR_MS}`,
        ],
      );
    },
  );
}

/** `bench api`: its options, and the run. */
export function apiBenchCommand(command: Command): void {
  command
    .description(
      'query API: every endpoint at a fixed concurrency over many stored reports, beside GET /healthz ' +
        '(the server without a read), with p50/p99 latency and the batch service’s peak memory',
    )
    .option('--reports <n>', 'reports stored before the load (over 7 days)', positiveInteger, 1_000_000)
    .option('--concurrency <n>', 'requests in flight at once', positiveInteger, 50)
    .option('--requests <n>', 'requests per endpoint', positiveInteger, 1000)
    .exitOverride()
    .action(async (options: { reports: number; concurrency: number; requests: number }) => {
      await benchApi({
        reports: options.reports,
        concurrency: options.concurrency,
        requestsPerEndpoint: options.requests,
      });
    });
}
