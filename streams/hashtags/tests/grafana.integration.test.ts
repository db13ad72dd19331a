/**
 * The hashtags dashboard and alert rule, live: a backlog of posts whose last minutes make one
 * hashtag trend (`--trend`), then live posts paced at the same rate with the trend going on; the
 * processor and the batch service of this run scraped by the live Prometheus (file_sd).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MINUTE_MS, SECOND_MS } from '../../../common/time.ts';
import type { TopAnswer } from '../api.ts';
import { HASHTAGS_DASHBOARD_UID } from '../dashboard.ts';
import type { ApiTarget } from '../../../grafana/model.ts';
import { POSTS_TOPIC, TREND } from '../schema.ts';
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
  waitFor,
  workDir,
} from '../../../tests/support/harness.ts';
import { registerProgram } from '../../../tests/support/programs.ts';
import { kafkaBrokers, promQuery, promSeries as series } from '../../../tests/support/services.ts';

const PORTS = { processor: 19940, batch: 19941 };
const { prefix, keyspace } = isolatedRun();
const POSTS = {
  ratePerSecond: 50,
  seed: 8,
  /** Not in the vocabulary: its baseline is nothing, so the minimum baseline is what it beats. */
  trend: 'Eclipse2026',
  backlogMinutes: 16,
  trendFromMinute: 14,
  liveMs: 10 * MINUTE_MS,
  graceSeconds: 2,
} as const;
const TRENDING = POSTS.trend.toLowerCase();
const liveStart = Math.floor(Date.now() / SECOND_MS) * SECOND_MS;
const backlogStart = Math.floor((liveStart - POSTS.backlogMinutes * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
const intervalMs = SECOND_MS / POSTS.ratePerSecond;
const RULES = rulesOf(['hashtags']);
const thisRun = (expr: string) => thisRunOf(expr, prefix);
const ran: string[] = [];
const generators = new Set<ChildProcess>();
let targetFile = '';

/** `generate -- posts` as a user runs it, on this run's topic. */
function startGenerator(args: string[], logName: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'generators/cli.ts', 'hashtags'],
      ...[
        '--rate',
        `${POSTS.ratePerSecond}/s`,
        '--seed',
        String(POSTS.seed),
        '--brokers',
        kafkaBrokers.join(','),
      ],
      ...['--topic', `${prefix}${POSTS_TOPIC}`],
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

beforeAll(async () => {
  targetFile = await scrapeThisRun(
    prefix,
    [
      { job: 'processor', port: PORTS.processor },
      { job: 'batch', port: PORTS.batch },
    ],
    'hashtags-grafana',
  );
  const backlog = startGenerator(
    [
      ...['--start', new Date(backlogStart).toISOString(), '--burst'],
      ...['--count', String((liveStart - backlogStart) / intervalMs)],
      ...['--trend', `${POSTS.trend}@${POSTS.trendFromMinute}`],
    ],
    'hashtags-grafana-backlog.log',
  );
  backlog.once('exit', (code) => {
    if (code !== 0) return;
    // The live run goes on where the backlog's event time ended, the trend with it.
    startGenerator(
      [
        ...['--start', new Date(liveStart).toISOString()],
        ...['--count', String(POSTS.liveMs / intervalMs), '--trend', `${POSTS.trend}@0`],
      ],
      'hashtags-grafana-live.log',
    );
  });
  startPipelines(
    'hashtags',
    { prefix, instance: 'hashtags-grafana', port: PORTS.processor },
    { CASSANDRA_KEYSPACE_HASHTAGS: keyspace, HASHTAGS_GRACE_SECONDS: String(POSTS.graceSeconds) },
    'hashtags-grafana-processor.log',
  );
  startProgram(
    'batch/cli.ts',
    {
      CASSANDRA_KEYSPACE_HARMONY: `${keyspace}_harmony`,
      CASSANDRA_KEYSPACE_HASHTAGS: keyspace,
      BATCH_HTTP_PORT: String(PORTS.batch),
    },
    'hashtags-grafana-batch.log',
  );
}, 60_000);

afterAll(async () => {
  await killPrograms(generators);
  if (targetFile) fs.rmSync(targetFile, { force: true });
  console.log(`queries run against the live services (${ran.length}):\n${ran.join('\n')}`);
});

test('trending rule: its expression crosses the threshold live for the --trend hashtag, and for no other', async () => {
  const [rule] = RULES;
  expect(rule?.uid).toBe('hashtags-trending');
  const expr = thisRun(rule!.expr);
  const above = async () => (await series(expr)).filter((entry) => entry.value > rule!.threshold);
  const firing = await waitFor(above, (entries) => entries.length > 0, 4 * MINUTE_MS);
  ran.push(`promql (alert rule ${rule!.uid}): ${expr} -> ${JSON.stringify(firing)}`);
  expect(
    firing.length,
    `${expr} never crossed ${rule!.threshold}; the end of the processor log:\n${programLog('hashtags-grafana-processor.log', 4000)}`,
  ).toBeGreaterThan(0);
  expect(firing.map((entry) => entry.labels['hashtag'])).toEqual([TRENDING]);
  // The others of the most trending are there, below the threshold: the rule tells them apart.
  const all = await series(expr);
  expect(all.length).toBeGreaterThan(1);
  expect(all.length).toBeLessThanOrEqual(TREND.reported);
  for (const entry of all) {
    if (entry.labels['hashtag'] !== TRENDING)
      expect(entry.value, entry.labels['hashtag']).toBeLessThanOrEqual(rule!.threshold);
  }
}, 300_000);

test('every PromQL expression of the hashtags dashboard and rule returns series on the live Prometheus', async () => {
  await waitFor(
    async () =>
      (
        await promQuery(
          thisRun(`sum(rate(processor_records_total{pipeline="hashtags",outcome="accepted"}[1m]))`),
        )
      ).values,
    (values) => (values[0] ?? 0) > 0,
    90_000,
  );
  const expressions = [
    ...dashboardTargets([HASHTAGS_DASHBOARD_UID])
      .filter(({ target }) => 'expr' in target)
      .map(({ where, target }) => ({ where, expr: substitutePromQL((target as { expr: string }).expr) })),
    ...RULES.map((rule) => ({ where: `alert rule ${rule.uid}`, expr: rule.expr })),
  ];
  expect(expressions.length).toBeGreaterThanOrEqual(8);
  for (const { where, expr } of expressions) {
    for (const query of [expr, thisRun(expr)]) {
      const result = await waitFor(
        () => promQuery(query),
        (answer) =>
          answer.values.length > 0 && (ZERO_FALLBACK.test(expr) || answer.values.some((value) => value > 0)),
        60_000,
      );
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
  const byRank = await promQuery(thisRun('max by (rank) (hashtags_top_posts)'));
  expect(byRank.values, 'a series per rank of the top 10').toHaveLength(10);
}, 300_000);

test('every query-API request of the hashtags dashboard is answered from the live Cassandra with rows', async () => {
  const now = Date.now();
  const top = await waitFor(
    async () =>
      (await (await fetch(`http://127.0.0.1:${PORTS.batch}/api/hashtags/top?at=${now}`)).json()) as TopAnswer,
    (answer) => answer.top?.length === 10,
    90_000,
  );
  expect(top.top).toHaveLength(10);
  const macros: Record<string, string> = {
    '${__from}': String(backlogStart),
    '${__to}': String(now),
    // The variable's default: the first hashtag of its query, the current top 10.
    $hashtag: encodeURIComponent(top.top[0]!.hashtag),
  };
  const substitute = (text: string) =>
    Object.entries(macros).reduce((result, [macro, value]) => result.replaceAll(macro, value), text);
  const requests = dashboardTargets([HASHTAGS_DASHBOARD_UID]).filter(({ target }) => 'url' in target);
  expect(requests.length).toBeGreaterThanOrEqual(4);
  for (const { where, target } of requests) {
    const { url, url_options, root_selector, columns } = target as ApiTarget;
    const query = new URLSearchParams(url_options.params.map(({ key, value }) => [key, substitute(value)]));
    const request = `${substitute(url)}?${query}`;
    expect(request, `${where}: a variable left in ${request}`).not.toMatch(/\$/);
    const response = await fetch(`http://127.0.0.1:${PORTS.batch}${request}`);
    const body = (await response.json()) as unknown;
    const rows = (root_selector === '' ? body : (body as Record<string, unknown>)[root_selector]) as Record<
      string,
      unknown
    >[];
    ran.push(
      `query api (${where}): GET ${request} -> ${response.status}, ${Array.isArray(rows) ? rows.length : JSON.stringify(body).slice(0, 200)} rows`,
    );
    expect(response.status, `${where}: ${request}`).toBe(200);
    expect(Array.isArray(rows), `${where}: ${request}: no array at '${root_selector}'`).toBe(true);
    expect(rows.length, `${where}: ${request} returned no rows`).toBeGreaterThan(0);
    for (const { selector } of columns)
      expect(rows[0], `${where}: ${request}: column ${selector}`).toHaveProperty(selector);
  }
  const places = (await (
    await fetch(`http://127.0.0.1:${PORTS.batch}/api/places?from=${backlogStart}&to=${now}`)
  ).json()) as { count: number }[];
  expect(places.length).toBeGreaterThan(300);
}, 300_000);
