/**
 * The Markets dashboard and its rule, live: the ticks generator runs paced as a user runs it,
 * the processor runs both pipelines and the batch service answers the API, all scraped by the
 * live Prometheus under this run's label. Every PromQL expression returns series, every API
 * request of the dashboard answers rows, and a breakout the test sends makes the rule fire.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MINUTE_MS } from '../../../common/time.ts';
import { MARKETS_DASHBOARD_UID } from '../dashboard.ts';
import type { ApiTarget } from '../../../grafana/model.ts';
import type { Bar } from '../schema.ts';
import { projectRoot } from '../../../services/config.ts';
import {
  dashboardTargets,
  rulesOf,
  substitutePromQL,
  thisRun as thisRunOf,
  scrapeThisRun,
  killPrograms,
} from '../../../tests/support/grafana-live.ts';
import {
  isolatedRun,
  programLog,
  startProgram,
  testProducer,
  waitFor,
  workDir,
  inTopic,
} from '../../../tests/support/harness.ts';
import { registerProgram } from '../../../tests/support/programs.ts';
import { kafkaBrokers, promQuery } from '../../../tests/support/services.ts';
import { startMarketsProcessor } from './support.ts';

const PORTS = { processor: 19970, batch: 19971 };
const { prefix, keyspace } = isolatedRun();
const thisRun = (expr: string) => thisRunOf(expr, prefix);
const [rule] = rulesOf(['markets']);
const BREAKOUT_SYMBOL = 'ZZBRK';
const ran: string[] = [];
let targetFile = '';
let generator: ChildProcess | undefined;

beforeAll(async () => {
  targetFile = await scrapeThisRun(
    prefix,
    [
      { job: 'processor', port: PORTS.processor },
      { job: 'batch', port: PORTS.batch },
    ],
    'markets',
  );
  startMarketsProcessor(prefix, keyspace, PORTS.processor, 'grafana');
  startProgram(
    'batch/cli.ts',
    { CASSANDRA_KEYSPACE_MARKETS: keyspace, BATCH_HTTP_PORT: String(PORTS.batch) },
    'markets-grafana-batch.log',
  );
  // As a user runs it: paced, one bar per symbol per second, from now on.
  generator = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'generators/cli.ts', 'markets', '--seed', '3'],
      ...['--brokers', kafkaBrokers.join(','), '--topic', `${prefix}market.bars`],
    ],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  generator.stderr!.on('data', (chunk: Buffer) =>
    fs.appendFileSync(path.join(workDir, 'markets-grafana-ticks.log'), chunk),
  );
  registerProgram(generator.pid!);
}, 60_000);

afterAll(async () => {
  if (generator !== undefined) await killPrograms([generator]);
  if (targetFile) fs.rmSync(targetFile, { force: true });
  console.log(`queries run against the live services (${ran.length}):\n${ran.join('\n')}`);
});

/** Waits for a PromQL expression on the live Prometheus; on time-out, fails with the processor's log. */
async function scraped(expr: string, done: (values: number[]) => boolean): Promise<number[]> {
  const values = await waitFor(async () => (await promQuery(expr)).values, done, 120_000);
  expect(
    done(values),
    `${expr} is ${JSON.stringify(values)}; the end of the processor's log:\n${programLog('markets-processor-grafana.log', 4000)}`,
  ).toBe(true);
  return values;
}

/** 25 calm bars of a symbol of its own, then three closes far above: the bands cannot follow that fast. */
async function sendBreakout(): Promise<void> {
  const now = Date.now();
  const bar = (index: number, close: number): Bar => ({
    symbol: BREAKOUT_SYMBOL,
    // Half a second apart, ending about now: within the grace of the partition's stream time.
    bar_start: new Date(now - 12_000 + index * 500).toISOString(),
    open: close,
    high: close + 0.5,
    low: close - 0.5,
    close,
    adj_close: close,
    volume: 100,
  });
  const bars = [
    ...Array.from({ length: 25 }, (_, index) => bar(index, 50 + (index % 2) * 0.1)),
    ...[58, 62, 66].map((close, index) => bar(25 + index, close)),
  ];
  const producer = testProducer();
  await producer.connect();
  await producer.send(
    inTopic(
      `${prefix}market.bars`,
      bars.map((each) => ({ key: each.symbol, value: JSON.stringify(each) })),
    ),
  );
  await producer.disconnect();
}

test('the rule: a symbol closing outside its Bollinger bands 3 bars in a row crosses the threshold live', async () => {
  expect(rule).toBeDefined();
  await scraped(thisRun('sum(processor_records_total{pipeline="bollinger",outcome="accepted"})'), (values) =>
    values.some((value) => value > 0),
  );
  await sendBreakout();
  const expr = thisRun(rule!.expr);
  const values = await waitFor(
    async () => {
      const result = await promQuery(
        `${expr.replace('(markets_bollinger_outside_bars{', `(markets_bollinger_outside_bars{symbol="${BREAKOUT_SYMBOL}",`)}`,
      );
      return result.values;
    },
    (found) => found.some((value) => value > rule!.threshold),
    120_000,
  );
  ran.push(
    `promql (alert rule ${rule!.uid}, this run, ${BREAKOUT_SYMBOL}): ${expr} -> ${JSON.stringify(values)}`,
  );
  expect(values).toEqual([3]);
  expect(rule!.comparison === 'gt' && values[0]! > rule!.threshold).toBe(true);
}, 300_000);

test('every PromQL expression of the Markets dashboard and its rule runs on the live Prometheus and returns series', async () => {
  // Rates need two scrapes of a moving counter.
  await scraped(
    thisRun('sum(rate(processor_records_total{pipeline="aroon",outcome="accepted"}[1m]))'),
    (values) => (values[0] ?? 0) > 0,
  );
  const expressions = [
    ...dashboardTargets([MARKETS_DASHBOARD_UID])
      .filter(({ target }) => 'expr' in target)
      .map(({ where, target }) => ({ where, expr: substitutePromQL((target as { expr: string }).expr) })),
    { where: `alert rule ${rule!.uid}`, expr: rule!.expr },
  ];
  expect(expressions.length).toBeGreaterThanOrEqual(6);
  for (const { where, expr } of expressions) {
    for (const query of [expr, thisRun(expr)]) {
      const result = await promQuery(query);
      ran.push(`promql (${where}): ${query} -> ${JSON.stringify(result.values)}`);
      expect(result.status, `${where}: ${query}: ${result.error}`).toBe('success');
      expect(result.values.length, `${where}: ${query} returned no series`).toBeGreaterThan(0);
    }
  }
  // Both groups read the topic: each pipeline has its own consumed series, both moving.
  const perPipeline = await promQuery(
    thisRun(
      'sum by (pipeline) (rate(processor_records_total{pipeline=~"bollinger|aroon",outcome="accepted"}[1m]))',
    ),
  );
  expect(perPipeline.values).toHaveLength(2);
  expect(perPipeline.values.every((value) => value > 0)).toBe(true);
}, 300_000);

test('every query-API request of the Markets dashboard is answered from the live Cassandra with rows', async () => {
  const base = `http://127.0.0.1:${PORTS.batch}`;
  const symbols = await waitFor(
    async () =>
      (
        (await (await fetch(`${base}/api/markets/symbols`)).json()) as { symbols: { symbol: string }[] }
      ).symbols.map((row) => row.symbol),
    (listed) => listed.length >= 40,
    120_000,
  );
  expect(symbols).toContain('AAPL');
  // The dashboard's default range, ending when the request is made: bars keep coming.
  const macros = (now: number): Record<string, string> => ({
    '${__from}': String(now - 15 * MINUTE_MS),
    '${__to}': String(now),
    // The variable's default: the first symbol its query lists.
    $symbol: symbols[0]!,
  });
  const substitute = (text: string, now: number) =>
    Object.entries(macros(now)).reduce((result, [macro, value]) => result.replaceAll(macro, value), text);
  const requests = dashboardTargets([MARKETS_DASHBOARD_UID]).filter(({ target }) => 'url' in target);
  expect(requests.length).toBe(3);
  for (const { where, target } of requests) {
    const { url, url_options, root_selector, columns } = target as ApiTarget;
    const requestAt = (now: number) => {
      const query = new URLSearchParams(
        url_options.params.map(({ key, value }) => [key, substitute(value, now)]),
      );
      return `${substitute(url, now)}${url_options.params.length > 0 ? `?${query}` : ''}`;
    };
    let request = requestAt(Date.now());
    expect(request, `${where}: a variable left in ${request}`).not.toMatch(/\$/);
    expect(['bars', 'symbols']).toContain(root_selector);
    // The bands need 20 bars and Aroon 26: at one bar a second, half a minute after the first.
    const rows = await waitFor(
      async () => {
        request = requestAt(Date.now());
        const response = await fetch(`${base}${request}`);
        expect(response.status, `${where}: ${request}`).toBe(200);
        const body = (await response.json()) as Record<string, Record<string, unknown>[]>;
        return body[root_selector]!;
      },
      (found) =>
        root_selector !== 'bars' ||
        found.some((row) => row['aroon_up'] !== null && row['bollinger_upper'] !== null),
      120_000,
    );
    ran.push(`query api (${where}): GET ${request} -> ${rows.length} rows`);
    expect(rows.length, `${where}: ${request} returned no rows`).toBeGreaterThan(0);
    for (const { selector } of columns) {
      expect(rows[0], `${where}: ${request}: column ${selector}`).toHaveProperty(selector);
      expect(
        rows.some((row) => typeof row[selector] === 'number' || typeof row[selector] === 'string'),
        `${where}: ${request}: column ${selector} never has a value`,
      ).toBe(true);
    }
  }
}, 300_000);
