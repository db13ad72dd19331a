import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sampleValue } from '../../common/exposition.ts';
import { ALERT_RATE_THRESHOLD_PER_MINUTE, alertRules, alertingProvisioning } from '../../grafana/alerts.ts';
import { dashboards, provisioningFiles } from '../../grafana/generate.ts';
import { LEADERBOARD_PANEL, type ApiTarget, type Target } from '../../grafana/model.ts';
import type { DroneReport } from '../../schemas/harmony.ts';
import { projectRoot } from '../../services/config.ts';
import {
  generateReports,
  isDistressed,
  isolatedRun,
  metricsText,
  programLog,
  startProcessor,
  startProgram,
  storedReportIds,
  waitFor,
  testProducer,
} from './harmony.ts';
import { fileSdDirectory, promQuery, uniqueName } from './services.ts';

const CORE_PANELS = new Set([
  'timeseries',
  'stat',
  'gauge',
  'bargauge',
  'table',
  'heatmap',
  'geomap',
  'state-timeline',
  'status-history',
  'barchart',
  'piechart',
  'text',
  'logs',
  'histogram',
]);
const PORTS = { processor: 19530, batch: 19531, notifier: 19532 };
const { prefix, keyspace } = isolatedRun();
const ran: string[] = [];
let targetFile = '';
let webhook: http.Server | undefined;
let sent: DroneReport[] = [];

const allTargets = () =>
  dashboards.flatMap((board) => [
    ...board.panels.flatMap((panel) =>
      panel.targets.map((target) => ({ where: `${board.uid}/${panel.title}`, target })),
    ),
    ...board.templating.list.map((variable) => ({
      where: `${board.uid}/$${variable.name}`,
      target: variable.query as Target,
    })),
  ]);

test('the committed provisioning JSON is exactly what grafana/ generates (npm run dashboards)', () => {
  for (const [file, content] of provisioningFiles()) {
    const committed = path.join(projectRoot, file);
    expect(fs.existsSync(committed), `${file} missing: run npm run dashboards`).toBe(true);
    expect(fs.readFileSync(committed, 'utf8'), `${file} differs: run npm run dashboards`).toBe(content);
  }
});

test('every datasource uid used is provisioned; every panel type is core or the plugin', () => {
  const provisioned = fs
    .readdirSync(path.join(projectRoot, 'provisioning/grafana/datasources'))
    .flatMap((file) =>
      [
        ...fs
          .readFileSync(path.join(projectRoot, 'provisioning/grafana/datasources', file), 'utf8')
          .matchAll(/^\s+uid: (\S+)$/gm),
      ].map((match) => match[1]!),
    );
  expect(provisioned.sort()).toEqual(['harmony-api', 'prometheus']);
  const used = new Set([
    ...dashboards.flatMap((board) => [
      ...board.panels.flatMap((panel) => [
        panel.datasource.uid,
        ...panel.targets.map((target) => target.datasource.uid),
      ]),
      ...board.templating.list.map((variable) => variable.datasource.uid),
    ]),
    ...alertingProvisioning()
      .groups.flatMap((group) => group.rules.flatMap((rule) => rule.data.map((query) => query.datasourceUid)))
      .filter((uid) => uid !== '__expr__'),
  ]);
  for (const uid of used) expect(provisioned, uid).toContain(uid);
  const pluginJson = JSON.parse(
    fs.readFileSync(path.join(projectRoot, 'plugins/harmony-leaderboard-panel/src/plugin.json'), 'utf8'),
  ) as { id: string; type: string };
  expect(pluginJson).toMatchObject({ id: LEADERBOARD_PANEL, type: 'panel' });
  for (const board of dashboards) {
    for (const panel of board.panels) {
      expect(
        CORE_PANELS.has(panel.type) || panel.type === LEADERBOARD_PANEL,
        `${board.uid}: ${panel.type}`,
      ).toBe(true);
    }
  }
  for (const rule of alertingProvisioning().groups[0]!.rules) {
    expect(rule.annotations.summary, rule.uid).not.toBe('');
    expect(rule.annotations.runbook, rule.uid).not.toBe('');
  }
});

/** Reports in which nobody is in distress, and reports in which someone is, from the generator. */
function calmAndDistressed(count: number) {
  const reports = generateReports(`${prefix}scratch`, count, 41);
  const calm = reports.filter((report) => !isDistressed(report));
  const distressed = reports.map((report) => ({
    ...report,
    report_id: `${report.report_id}-burst`,
    persons: report.persons.map((person, index) =>
      index === 0 ? { ...person, harmony_score: 0.5 } : person,
    ),
  }));
  return { calm, distressed };
}

async function produce(reports: DroneReport[]) {
  const producer = testProducer();
  await producer.connect();
  for (let first = 0; first < reports.length; first += 500) {
    await producer.send({
      topic: `${prefix}drone.reports`,
      messages: reports
        .slice(first, first + 500)
        .map((report) => ({ key: report.drone_id, value: JSON.stringify(report) })),
    });
  }
  await producer.disconnect();
}

/**
 * The alert-rate rule's own expression and threshold on the live Prometheus, narrowed to this
 * run's targets: an earlier run's series stay in the 5-minute window for a while.
 */
async function alertRateFiring(): Promise<{ value: number; firing: boolean }> {
  const rule = alertRules.find((candidate) => candidate.uid === 'harmony-alert-rate')!;
  const expr = rule.expr.replace('harmony_alerts_total[', `harmony_alerts_total{run="${prefix}"}[`);
  expect(expr).not.toBe(rule.expr);
  const result = await promQuery(expr);
  ran.push(`promql (alert rule ${rule.uid}, this run only): ${expr}`);
  expect(result.status).toBe('success');
  const value = result.values[0] ?? 0;
  return { value, firing: rule.comparison === 'gt' ? value > rule.threshold : value < rule.threshold };
}

/** Waits for Prometheus to hold what `done` asks; when it never does, fails with the log of who should have made it. */
async function scraped(expr: string, done: (values: number[]) => boolean, programLogName: string) {
  const values = await waitFor(async () => (await promQuery(expr)).values, done, 90_000);
  expect(
    done(values),
    `${expr} is ${JSON.stringify(values)} after 90 s; the end of ${programLogName}:\n${programLog(programLogName, 4000)}`,
  ).toBe(true);
}

beforeAll(async () => {
  webhook = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => webhook!.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/api/webhooks/1/token`;
  targetFile = path.join(await fileSdDirectory(), `${uniqueName('grafana')}.json`);
  fs.writeFileSync(
    targetFile,
    JSON.stringify(
      Object.entries(PORTS).map(([job, port]) => ({
        targets: [`127.0.0.1:${port}`],
        labels: { job, run: prefix },
      })),
    ),
  );
  startProcessor(prefix, keyspace, PORTS.processor);
  startProgram(
    'notifier/main.ts',
    {
      NOTIFIER_TOPIC_PREFIX: prefix,
      NOTIFIER_GROUP_ID: `${prefix}notifier`,
      NOTIFIER_METRICS_PORT: String(PORTS.notifier),
      DISCORD_WEBHOOK_URL: webhookUrl,
    },
    'grafana-notifier.log',
  );
  startProgram(
    'batch/cli.ts',
    { CASSANDRA_KEYSPACE: keyspace, BATCH_SCHEDULE: '*/5 * * * * *', BATCH_HTTP_PORT: String(PORTS.batch) },
    'grafana-batch.log',
  );
}, 60_000);

afterAll(() => {
  if (targetFile) fs.rmSync(targetFile, { force: true });
  webhook?.closeAllConnections();
  webhook?.close();
  console.log(`queries run against the live services (${ran.length}):\n${ran.join('\n')}`);
});

test('alert-rate rule: quiet on calm reports, firing after a burst of low-harmony reports', async () => {
  const { calm, distressed } = calmAndDistressed(600);
  await produce(calm);
  await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length === calm.length,
    120_000,
  );
  // Two scrapes of the processor after the calm reports: a rate exists, and it is zero.
  await scraped(
    `processor_records_total{job="processor",instance="127.0.0.1:${PORTS.processor}",outcome="accepted"}`,
    (values) => values[0] === calm.length,
    'processor.log',
  );
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const quiet = await alertRateFiring();
  expect(quiet).toEqual({ value: 0, firing: false });

  await produce(distressed);
  sent = [...calm, ...distressed];
  await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length === sent.length,
    120_000,
  );
  await scraped(
    `harmony_alerts_total{run="${prefix}"}`,
    (values) => values[0] === distressed.length,
    'processor.log',
  );
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const burst = await alertRateFiring();
  expect(burst.firing, `alerts/min ${burst.value} vs ${ALERT_RATE_THRESHOLD_PER_MINUTE}`).toBe(true);
}, 400_000);

const substitutePromQL = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '5m');

test('every PromQL expression of every dashboard and alert rule runs on the live Prometheus and returns series', async () => {
  expect(sent.length).toBeGreaterThan(0);
  // The batch gauges and the notifier's posts follow the processor by a few seconds.
  await scraped(
    `harmony_bucket_reports{run="${prefix}"}`,
    (values) => values.length > 0,
    'grafana-batch.log',
  );
  await scraped(
    `sum(notifier_alerts_total{run="${prefix}",outcome="posted"})`,
    (values) => (values[0] ?? 0) > 0,
    'grafana-notifier.log',
  );
  await scraped(
    `notifier_consumer_lag{run="${prefix}"}`,
    (values) => values.length > 0,
    'grafana-notifier.log',
  );
  const expressions = [
    ...allTargets()
      .filter(({ target }) => 'expr' in target)
      .map(({ where, target }) => ({ where, expr: substitutePromQL((target as { expr: string }).expr) })),
    ...alertRules.map((rule) => ({ where: `alert rule ${rule.uid}`, expr: rule.expr })),
  ];
  expect(expressions.length).toBeGreaterThan(25);
  for (const { where, expr } of expressions) {
    const result = await promQuery(expr);
    ran.push(`promql (${where}): ${expr} -> ${result.values.length} series`);
    expect(result.status, `${where}: ${expr}: ${result.error}`).toBe('success');
    expect(result.values.length, `${where}: ${expr} returned no series`).toBeGreaterThan(0);
  }
});

test('every query-API request of the dashboards is answered from the live Cassandra with rows', async () => {
  const times = sent.map((report) => Date.parse(report.event_time));
  const leaderboard = (await (await fetch(`http://127.0.0.1:${PORTS.batch}/api/leaderboard`)).json()) as {
    person_id: string;
  }[];
  expect(leaderboard.length).toBeGreaterThan(0);
  const macros: Record<string, string> = {
    '${__from}': String(Math.min(...times)),
    '${__to}': String(Math.max(...times) + 1),
    $drone: '',
    $person: leaderboard[0]!.person_id,
  };
  const substitute = (text: string) =>
    Object.entries(macros).reduce((result, [macro, value]) => result.replaceAll(macro, value), text);
  const requests = allTargets().filter(({ target }) => 'url' in target);
  expect(requests.length).toBeGreaterThanOrEqual(10);
  for (const { where, target } of requests) {
    const { url, url_options } = target as ApiTarget;
    const query = new URLSearchParams(url_options.params.map(({ key, value }) => [key, substitute(value)]));
    const request = `${substitute(url)}?${query}`;
    const response = await fetch(`http://127.0.0.1:${PORTS.batch}${request}`);
    const rows = (await response.json()) as unknown[];
    ran.push(`query api (${where}): GET ${request} -> ${response.status}, ${rows.length} rows`);
    expect(response.status, `${where}: ${request}`).toBe(200);
    expect(rows.length, `${where}: ${request} returned no rows`).toBeGreaterThan(0);
  }
  const bad = await fetch(
    `http://127.0.0.1:${PORTS.batch}/api/reports?from=${macros['${__to}']}&to=${macros['${__from}']}`,
  );
  ran.push(`query api (bad range): ${bad.status}`);
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toBe('from/to: from must be earlier than to');
  expect(
    sampleValue(await metricsText(PORTS.batch), 'batch_job_runs_total', {
      name: 'report_stats',
      outcome: 'failure',
    }),
  ).toBe(0);
});
