/**
 * The community dashboard and alert rule, live: a paced generator run whose chess community
 * turns angry (--mood-shift chess:anger@0), the processor and the batch service scraped by the
 * live Prometheus through file_sd. Every PromQL expression of the board and the rule answers
 * series, every query-API request answers rows, and the rule crosses its threshold for chess only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { alertRules } from '../../../grafana/generate.ts';
import { COMMUNITY_DASHBOARD_UID } from '../dashboard.ts';
import type { ApiTarget } from '../../../grafana/model.ts';
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
import { isolatedRun, programLog, startProgram, waitFor, workDir } from '../../../tests/support/harness.ts';
import { registerProgram } from '../../../tests/support/programs.ts';
import {
  kafkaBrokers,
  prometheusUrl,
  promQuery,
  promSeries as series,
} from '../../../tests/support/services.ts';
import { startCommunityProcessor } from './support.ts';

const PORTS = { processor: 19910, batch: 19911 };
const SHIFTED = 'chess';
const { prefix, keyspace } = isolatedRun();
const thisRun = (expr: string) => thisRunOf(expr, prefix);
const rule = rulesOf(['community'])[0]!;
const started = Date.now();
let targetFile = '';
let generator: ChildProcess | undefined;

beforeAll(async () => {
  targetFile = await scrapeThisRun(
    prefix,
    [
      { job: 'processor', port: PORTS.processor },
      { job: 'batch', port: PORTS.batch },
    ],
    'community',
  );
  startCommunityProcessor(prefix, keyspace, PORTS.processor, 'grafana', { COMMUNITY_GRACE_SECONDS: '2' });
  startProgram(
    'batch/cli.ts',
    { CASSANDRA_KEYSPACE_COMMUNITY: keyspace, BATCH_HTTP_PORT: String(PORTS.batch) },
    'community-grafana-batch.log',
  );
  // Paced as a user runs it, event time from now on; stopped when the file is done.
  generator = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'generators/cli.ts', 'community', '--rate', '100/s', '--duration', '10m'],
      ...['--seed', '9', '--mood-shift', `${SHIFTED}:anger@0`, '--brokers', kafkaBrokers.join(',')],
      ...['--topic', `${prefix}community.events`],
    ],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  generator.stderr!.on('data', (chunk: Buffer) =>
    fs.appendFileSync(path.join(workDir, 'community-grafana-generator.log'), chunk),
  );
  registerProgram(generator.pid!);
}, 60_000);

afterAll(async () => {
  if (generator !== undefined) await killPrograms([generator]);
  if (targetFile) fs.rmSync(targetFile, { force: true });
});

test('the negative-mood rule crosses its threshold on the live Prometheus for the shifted community, and for no other', async () => {
  expect(rule.uid).toBe('community-negative-mood');
  const expr = thisRun(rule.expr);
  expect(expr).not.toBe(rule.expr);
  const crossed = await waitFor(
    () => series(expr),
    // The shifted community above the threshold, and a few others with enough posts to be judged.
    (found) =>
      found.some(({ labels, value }) => labels['community'] === SHIFTED && value > rule.threshold) &&
      found.filter(({ labels }) => labels['community'] !== SHIFTED).length >= 3,
    150_000,
  );
  const shifted = crossed.find(({ labels }) => labels['community'] === SHIFTED);
  expect(
    shifted !== undefined && shifted.value > rule.threshold,
    `${expr} -> ${JSON.stringify(crossed)}; the processor's log:\n${programLog('community-processor-grafana.log', 3000)}`,
  ).toBe(true);
  // Others with enough posts are there, below the threshold: the rule sees them and stays quiet.
  const others = crossed.filter(({ labels }) => labels['community'] !== SHIFTED);
  expect(others.length).toBeGreaterThanOrEqual(3);
  for (const { labels, value } of others)
    expect(value, labels['community']).toBeLessThanOrEqual(rule.threshold);
}, 200_000);

test('every PromQL expression of the community dashboard and rule returns series live', async () => {
  const targets = dashboardTargets([COMMUNITY_DASHBOARD_UID]);
  const expressions = [
    ...targets
      .filter(({ target }) => 'expr' in target)
      .map(({ where, target }) => ({ where, expr: substitutePromQL((target as { expr: string }).expr) })),
    { where: `alert rule ${rule.uid}`, expr: rule.expr },
  ].map(({ where, expr }) => ({ where, expr: expr.replaceAll('$community', SHIFTED) }));
  expect(expressions.length).toBeGreaterThanOrEqual(7);
  for (const { where, expr } of expressions) {
    for (const query of [expr, thisRun(expr)]) {
      const result = await waitFor(
        () => promQuery(query),
        (answer) =>
          answer.values.length > 0 &&
          (ZERO_FALLBACK.test(expr) || answer.values.some((value) => value !== 0)),
        60_000,
      );
      expect(result.status, `${where}: ${query}: ${result.error}`).toBe('success');
      expect(result.values.length, `${where}: ${query} returned no series`).toBeGreaterThan(0);
      if (!ZERO_FALLBACK.test(expr)) {
        expect(
          result.values.some((value) => value !== 0),
          `${where}: ${query} is all zero`,
        ).toBe(true);
      }
    }
  }
  // The $community variable: label_values(community_logged_in_users, community).
  const variable = targets.find(({ where }) => where.endsWith('/$community'))!;
  expect((variable.target as unknown as { query: string }).query).toBe(
    'label_values(community_logged_in_users, community)',
  );
  const response = await fetch(
    `${prometheusUrl}/api/v1/label/community/values?${new URLSearchParams({ 'match[]': thisRun('community_logged_in_users') })}`,
  );
  const { data } = (await response.json()) as { data: string[] };
  expect(data).toContain(SHIFTED);
  expect(data.length).toBeGreaterThan(20);
}, 200_000);

test('every query-API request of the community dashboard is answered from the live Cassandra with rows', async () => {
  const requests = dashboardTargets([COMMUNITY_DASHBOARD_UID]).filter(({ target }) => 'url' in target);
  expect(requests.length).toBeGreaterThanOrEqual(5);
  const macros: Record<string, string> = {
    '${__from}': String(started - 60_000),
    '${__to}': String(Date.now() + 60_000),
    $community: SHIFTED,
  };
  const substitute = (text: string) =>
    Object.entries(macros).reduce((result, [macro, value]) => result.replaceAll(macro, value), text);
  for (const { where, target } of requests) {
    const { url, url_options, root_selector, columns } = target as ApiTarget;
    const request = `${substitute(url)}?${new URLSearchParams(
      url_options.params.map(({ key, value }) => [key, substitute(value)]),
    )}`;
    expect(request, `${where}: a variable left in ${request}`).not.toMatch(/\$/);
    // Windows close 32 s after their end: wait until the range holds some.
    const { status, rows } = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${PORTS.batch}${request}`);
        const body = (await response.json()) as Record<string, unknown>;
        return {
          status: response.status,
          rows: body[root_selector] as Record<string, unknown>[] | undefined,
        };
      },
      (answer) => answer.status === 200 && (answer.rows?.length ?? 0) > 0,
      90_000,
    );
    expect(status, `${where}: ${request}: ${programLog('community-grafana-batch.log', 2000)}`).toBe(200);
    expect(rows?.length, `${where}: ${request} returned no rows`).toBeGreaterThan(0);
    for (const { selector } of columns)
      expect(rows![0], `${where}: column ${selector}`).toHaveProperty(selector);
  }
  const top = await waitFor(
    async () =>
      (await (
        await fetch(
          `http://127.0.0.1:${PORTS.batch}/api/community/posts/top?community=${SHIFTED}&from=${started - 60_000}&limit=3`,
        )
      ).json()) as { posts: { emotion: string; engagement: number }[] },
    (answer) => answer.posts.length === 3,
    90_000,
  );
  expect(top.posts.length).toBe(3);
  expect(top.posts[0]!.engagement).toBeGreaterThanOrEqual(top.posts[2]!.engagement);
  const bad = await fetch(
    `http://127.0.0.1:${PORTS.batch}/api/community/windows?community=${SHIFTED}&limit=3`,
  );
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toBe(
    'limit: unknown parameter; this route takes only community, from, to',
  );
}, 200_000);

test('the rule is in the provisioned alerting with its threshold and the dashboard refreshes every 5 s', () => {
  expect(alertRules.filter((candidate) => candidate.uid.startsWith('community-'))).toEqual([rule]);
  expect(rule.threshold).toBe(0.6);
  expect(rule.expr).toContain('>= 20');
  const board = JSON.parse(
    fs.readFileSync(
      path.join(projectRoot, `provisioning/grafana/dashboards/${COMMUNITY_DASHBOARD_UID}.json`),
      'utf8',
    ),
  ) as { refresh: string; title: string };
  expect(board).toMatchObject({ refresh: '5s', title: 'Community activity' });
});
