/**
 * The Flights dashboard and alert rule, live: every PromQL expression returns series on the live
 * Prometheus (scraping this file's processor and batch service through file_sd), every query-API
 * request of the dashboard answers rows from the live Cassandra, and the on-time rule crosses its
 * threshold once an airline's day turns bad.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DAY_MS, MINUTE_MS, SECOND_MS, bucketStart } from '../../../common/time.ts';
import { flightRecords } from '../records.ts';
import { FLIGHTS_DASHBOARD_UID } from '../dashboard.ts';
import type { ApiTarget } from '../../../grafana/model.ts';
import { FLIGHTS, type FlightRecord } from '../schema.ts';
import { projectRoot } from '../../../services/config.ts';
import {
  dashboardTargets,
  rulesOf,
  substitutePromQL,
  thisRun as thisRunOf,
  ZERO_FALLBACK,
  scrapeThisRun,
  killPrograms,
} from '../../../tests/support/grafana-live.ts';
import {
  isolatedRun,
  programLog,
  startPipelines,
  startProgram,
  testProducer,
  waitFor,
  workDir,
  inTopic,
} from '../../../tests/support/harness.ts';
import { registerProgram } from '../../../tests/support/programs.ts';
import { kafkaBrokers, promQuery, promSeries as series } from '../../../tests/support/services.ts';

const PORTS = { processor: 19995, batch: 19996 };
const { prefix, keyspace } = isolatedRun();
const thisRun = (expr: string) => thisRunOf(expr, prefix);
const topic = `${prefix}flights.records`;
/** A backlog of today's flights up to now, sent in a burst, then a live run paced at the same rate. */
const RATE_PER_SECOND = 5;
const BACKLOG = 1500;
/** The airline the test turns bad: Hawaiian flies about 1 % of the flights, fewer than the rule's 50 in the backlog. */
const BAD_AIRLINE = 'HA';
const BAD_FLIGHTS = 150;
const RULE = rulesOf(['flights'])[0]!;
const generators = new Set<ChildProcess>();
const ran: string[] = [];
let targetFile = '';
const now = Date.now();
const backlogStart = Math.max(bucketStart(now, DAY_MS), now - (BACKLOG / RATE_PER_SECOND) * SECOND_MS);

function startGenerator(args: string[], logName: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'generators/cli.ts', 'flights', '--seed', '8', '--rate', `${RATE_PER_SECOND}/s`],
      ...['--brokers', kafkaBrokers.join(','), '--topic', topic],
      ...args,
    ],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (chunk: Buffer) => fs.appendFileSync(path.join(workDir, logName), chunk));
  generators.add(child);
  registerProgram(child.pid!);
  child.once('exit', () => generators.delete(child));
  return child;
}

async function scraped(expr: string, done: (values: number[]) => boolean, logName: string) {
  const values = await waitFor(async () => (await promQuery(expr)).values, done, 90_000);
  expect(
    done(values),
    `${expr} is ${JSON.stringify(values)}; the end of ${logName}:\n${programLog(logName, 4000)}`,
  ).toBe(true);
}

/**
 * Flights of the bad airline today, each arriving an hour and a half late: scheduled half an
 * hour ago, or at midnight UTC when today is younger than that, so that they fall on the day the
 * rule shows however close to midnight the test runs.
 */
function badFlights(): FlightRecord[] {
  const sentAt = Date.now();
  const scheduled = Math.max(sentAt - 30 * MINUTE_MS, bucketStart(sentAt, DAY_MS));
  const template = [...flightRecordsFrom(new Date(scheduled))].find(
    (flight) => !flight.cancelled && !flight.diverted,
  )!;
  const departure = Date.parse(template.scheduled_departure);
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const at = (minutes: number) => iso(departure + minutes * MINUTE_MS);
  const delay = 90;
  const block = template.scheduled_time;
  return Array.from({ length: BAD_FLIGHTS }, (_, index) => ({
    ...template,
    airline: BAD_AIRLINE,
    origin_airport: 'HNL',
    destination_airport: 'OGG',
    flight_number: 100 + index,
    departure_time: at(delay),
    departure_delay: delay,
    wheels_off: at(delay + template.taxi_out!),
    arrival_time: at(delay + block),
    arrival_delay: delay,
    elapsed_time: block,
    air_time: block - template.taxi_out! - template.taxi_in!,
    wheels_on: at(delay + block - template.taxi_in!),
  }));
}

function* flightRecordsFrom(start: Date): Generator<FlightRecord> {
  let count = 0;
  for (const flight of flightRecords({ seed: 1, start, intervalMs: 60_000 })) {
    yield flight;
    if ((count += 1) > 200) return;
  }
}

beforeAll(async () => {
  targetFile = await scrapeThisRun(
    prefix,
    [
      { job: 'processor', port: PORTS.processor },
      { job: 'batch', port: PORTS.batch },
    ],
    'flights-grafana',
  );
  startPipelines(
    'flights',
    { prefix, instance: 'flights-grafana', port: PORTS.processor },
    { CASSANDRA_KEYSPACE_FLIGHTS: keyspace },
    'flights-grafana-processor.log',
  );
  startProgram(
    'batch/cli.ts',
    {
      CASSANDRA_KEYSPACE_FLIGHTS: keyspace,
      BATCH_HTTP_PORT: String(PORTS.batch),
      CASSANDRA_KEYSPACE_HARMONY: `${keyspace}_h`,
    },
    'flights-grafana-batch.log',
  );
  const backlog = startGenerator(
    ['--start', new Date(backlogStart).toISOString(), '--count', String(BACKLOG), '--burst'],
    'flights-grafana-backlog.log',
  );
  await new Promise((resolve) => backlog.once('exit', resolve));
  expect(backlog.exitCode, programLog('flights-grafana-backlog.log', 2000)).toBe(0);
  startGenerator(
    [
      '--start',
      new Date(Math.max(now, backlogStart + (BACKLOG / RATE_PER_SECOND) * SECOND_MS)).toISOString(),
    ],
    'flights-grafana-live.log',
  );
}, 120_000);

afterAll(async () => {
  await killPrograms(generators);
  if (targetFile) fs.rmSync(targetFile, { force: true });
  console.log(`queries run against the live services (${ran.length}):\n${ran.join('\n')}`);
});

test('every PromQL expression of the Flights dashboard and its alert rule returns series', async () => {
  await scraped(
    thisRun(`sum(rate(processor_records_total{pipeline="flights",outcome="accepted"}[1m]))`),
    (values) => (values[0] ?? 0) > 0,
    'flights-grafana-processor.log',
  );
  await scraped(
    thisRun('flights_airline_delay_minutes'),
    (values) => values.length > 0,
    'flights-grafana-processor.log',
  );
  const expressions = [
    ...dashboardTargets([FLIGHTS_DASHBOARD_UID])
      .filter(({ target }) => 'expr' in target)
      .map(({ where, target }) => ({ where, expr: substitutePromQL((target as { expr: string }).expr) })),
    { where: `alert rule ${RULE.uid}`, expr: RULE.expr },
  ];
  expect(expressions.length).toBeGreaterThanOrEqual(8);
  for (const { where, expr } of expressions) {
    for (const query of [expr, thisRun(expr)]) {
      const result = await promQuery(query);
      ran.push(`promql (${where}): ${query} -> ${JSON.stringify(result.values)}`);
      expect(result.status, `${where}: ${query}: ${result.error}`).toBe('success');
      expect(result.values.length, `${where}: ${query} returned no series`).toBeGreaterThan(0);
      if (!ZERO_FALLBACK.test(expr)) {
        expect(
          result.values.some((value) => value > 0),
          `${where}: ${query} is ${JSON.stringify(result.values)}`,
        ).toBe(true);
      }
    }
  }
}, 180_000);

test('every query-API request of the Flights dashboard is answered from the live Cassandra with rows', async () => {
  const requests = dashboardTargets([FLIGHTS_DASHBOARD_UID]).filter(({ target }) => 'url' in target);
  expect(requests.length).toBeGreaterThanOrEqual(4);
  const macros: Record<string, string> = {
    '${__from}': String(now - 60 * MINUTE_MS),
    '${__to}': String(Date.now()),
  };
  const substitute = (text: string) =>
    Object.entries(macros).reduce((result, [macro, value]) => result.replaceAll(macro, value), text);
  for (const { where, target } of requests) {
    const { url, url_options, root_selector, columns } = target as ApiTarget;
    const request = `${url}?${new URLSearchParams(url_options.params.map(({ key, value }) => [key, substitute(value)]))}`;
    expect(request, `${where}: a variable left in ${request}`).not.toMatch(/\$/);
    const answer = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${PORTS.batch}${request}`);
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      },
      ({ status, body }) =>
        status === 200 && Array.isArray(body[root_selector]) && (body[root_selector] as []).length > 0,
      60_000,
    );
    const rows = answer.body[root_selector] as Record<string, unknown>[];
    ran.push(
      `query api (${where}): GET ${request} -> ${answer.status}, ${Array.isArray(rows) ? rows.length : 'no'} rows`,
    );
    expect(answer.status, `${where}: ${request}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBe(200);
    expect(rows.length, `${where}: ${request} returned no rows`).toBeGreaterThan(0);
    for (const { selector } of columns)
      expect(rows[0], `${where}: ${request}: column ${selector}`).toHaveProperty(selector);
  }
}, 180_000);

test(`on-time rule: quiet for ${BAD_AIRLINE} with few flights, firing once ${BAD_FLIGHTS} of its flights arrive late`, async () => {
  const badSeries = async () =>
    (await series(thisRun(RULE.expr))).filter((entry) => entry.labels['airline'] === BAD_AIRLINE);
  await scraped(thisRun(RULE.expr), (values) => values.length > 0, 'flights-grafana-processor.log');
  const before = await badSeries();
  ran.push(`alert rule ${RULE.uid} before: ${JSON.stringify(before)}`);
  expect(before, `${BAD_AIRLINE} has fewer than ${FLIGHTS.alertMinFlights} flights: no series`).toEqual([]);

  const producer = testProducer();
  await producer.connect();
  await producer.send(
    inTopic(
      topic,
      badFlights().map((flight) => ({ key: flight.airline, value: JSON.stringify(flight) })),
    ),
  );
  await producer.disconnect();
  const after = await waitFor(
    badSeries,
    (found) => found.length === 1 && found[0]!.value < RULE.threshold,
    90_000,
  );
  ran.push(`alert rule ${RULE.uid} after: ${JSON.stringify(after)}`);
  expect(RULE.comparison).toBe('lt');
  expect(after[0]!.value, `${BAD_AIRLINE}'s on-time share today`).toBeLessThan(FLIGHTS.alertOnTimeShare);
}, 180_000);
