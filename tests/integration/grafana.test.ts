import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sampleValue } from '../../common/exposition.ts';
import { MINUTE_MS, SECOND_MS } from '../../common/time.ts';
import type { SurgeAnswerEntry, SurgesAnswer } from '../../streams/traffic/api.ts';
import { surgePlan } from '../../streams/traffic/pageviews.ts';
import { alertingProvisioning } from '../../grafana/alerts.ts';
import { ALERT_RATE_THRESHOLD_PER_MINUTE } from '../../streams/harmony/alerts.ts';
import { TRAFFIC_DASHBOARD_UID } from '../../streams/traffic/dashboard.ts';
import { alertRules, dashboards, provisioningFiles } from '../../grafana/generate.ts';
import { LEADERBOARD_PANEL, type ApiTarget } from '../../grafana/model.ts';
import type { DroneReport } from '../../streams/harmony/schema.ts';
import { SURGE } from '../../streams/traffic/schema.ts';
import { projectRoot } from '../../services/config.ts';
import {
  dashboardTargets,
  rulesOf,
  substitutePromQL,
  thisRun as thisRunOf,
  ZERO_FALLBACK,
  scrapeThisRun,
  killPrograms,
} from '../support/grafana-live.ts';
import {
  isolatedRun,
  metricsText,
  programLog,
  startPipelines,
  startProgram,
  testProducer,
  waitFor,
  workDir,
  inTopic,
} from '../support/harness.ts';
import { registerProgram } from '../support/programs.ts';
import { kafkaBrokers, prometheusUrl, promQuery } from '../support/services.ts';
import {
  generateReports,
  isDistressed,
  startProcessor,
  storedReportIds,
} from '../../streams/harmony/tests/support.ts';

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
  'candlestick',
]);
/** Every program this file starts serves its metrics (and the batch service its API) on one of these. */
const PORTS = { processor: 19800, batch: 19801, notifier: 19802, trafficProcessor: 19803 };
/** What Prometheus scrapes of this run (file_sd), as the job names the dashboards and rules filter on. */
const SCRAPED = [
  { job: 'processor', port: PORTS.processor },
  { job: 'processor', port: PORTS.trafficProcessor },
  { job: 'batch', port: PORTS.batch },
  { job: 'notifier', port: PORTS.notifier },
];
const { prefix, keyspace } = isolatedRun();
const trafficKeyspace = `${keyspace}_traffic`;
const ran: string[] = [];
let targetFile = '';
let webhook: http.Server | undefined;
let sent: DroneReport[] = [];

/**
 * The page views of the traffic dashboard: a backlog of a bit more than the trailing window
 * (17 to 18 minutes of event time, without surges) sent in a burst, then a live run paced at
 * the same rate whose event time goes on from the backlog's end. The live run lasts no longer
 * than the shortest surge, so the generator starts all its planned surges with it; after it a
 * calm run goes on, so the rates stay live however long the file takes.
 */
const TRAFFIC = {
  ratePerSecond: 400,
  businesses: 2000,
  seed: 4,
  surges: 3,
  liveMs: 3 * MINUTE_MS,
  graceSeconds: 2,
} as const;
const trafficIntervalMs = SECOND_MS / TRAFFIC.ratePerSecond;
const liveStart = Math.floor(Date.now() / SECOND_MS) * SECOND_MS;
const backlogStart = Math.floor((liveStart - 17 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
/** The backlog's steps whose recent and trailing windows both hold only backlog views: a full minute or more. */
const quietSteps: number[] = [];
for (let step = backlogStart + SURGE.trailingMs + SURGE.recentMs; step <= liveStart; step += SURGE.stepMs) {
  quietSteps.push(step);
}
const liveCount = TRAFFIC.liveMs / trafficIntervalMs;
/** The businesses the live run makes surge, known in advance from the generator's own plan. */
const plannedSurges = surgePlan({
  seed: TRAFFIC.seed,
  businesses: TRAFFIC.businesses,
  surges: TRAFFIC.surges,
  start: new Date(liveStart),
  intervalMs: trafficIntervalMs,
  count: liveCount,
});
const generators = new Set<ChildProcess>();
let stoppingGenerators = false;
let surgeSeen: Promise<SurgeObservation> | undefined;
let trafficProcessor: ChildProcess | undefined;
/** How the traffic processor ended, when it did: it must run as long as the file. */
const trafficProcessorEnded = () =>
  trafficProcessor?.exitCode === null && trafficProcessor.signalCode === null
    ? undefined
    : `the traffic processor ended (exit code ${trafficProcessor?.exitCode}, signal ${trafficProcessor?.signalCode})`;

/** The dashboards and rules this file proves live; each other stream's live test proves its own. */
const BOARDS = ['harmony', 'pipeline-health', 'harmony-stored-data', TRAFFIC_DASHBOARD_UID];
const RULES = rulesOf(['harmony', 'traffic', 'pipeline', 'batch']);
const allTargets = () => dashboardTargets(BOARDS);
const thisRun = (expr: string) => thisRunOf(expr, prefix);

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
  expect(provisioned.sort()).toEqual(['prometheus', 'query-api']);
  const used = new Set([
    ...dashboards.flatMap((board) => [
      ...board.panels.flatMap((panel) => [
        panel.datasource.uid,
        ...panel.targets.map((target) => target.datasource.uid),
      ]),
      ...board.templating.list.map((variable) => variable.datasource.uid),
    ]),
    ...alertingProvisioning(alertRules)
      .groups.flatMap((group) => group.rules.flatMap((rule) => rule.data.map((query) => query.datasourceUid)))
      .filter((uid) => uid !== '__expr__'),
  ]);
  for (const uid of used) expect(provisioned, uid).toContain(uid);
  const pluginJson = JSON.parse(
    fs.readFileSync(path.join(projectRoot, 'plugins/leaderboard-panel/src/plugin.json'), 'utf8'),
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
  for (const rule of alertingProvisioning(alertRules).groups[0]!.rules) {
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
    await producer.send(
      inTopic(
        `${prefix}drone.reports`,
        reports
          .slice(first, first + 500)
          .map((report) => ({ key: report.drone_id, value: JSON.stringify(report) })),
      ),
    );
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

/** `generate -- traffic` as a user runs it (startProgram takes no arguments), on this run's topics. */
function startTrafficGenerator(args: string[], logName: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'generators/cli.ts', 'traffic'],
      ...['--rate', `${TRAFFIC.ratePerSecond}/s`, '--businesses', String(TRAFFIC.businesses)],
      ...['--seed', String(TRAFFIC.seed), '--brokers', kafkaBrokers.join(',')],
      ...['--topic', `${prefix}traffic.pageviews`, '--reference-topic', `${prefix}traffic.businesses`],
      ...args,
    ],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (chunk: Buffer) => fs.appendFileSync(path.join(workDir, logName), chunk));
  generators.add(child);
  registerProgram(child.pid!);
  child.once('exit', (code) => {
    generators.delete(child);
    if (code !== null && code !== 0) {
      console.error(`the traffic generator exited with code ${code}:\n${programLog(logName, 4000)}`);
    }
  });
  return child;
}

/** Runs `next` once `child` has ended well, unless the file is ending. */
const then = (child: ChildProcess, next: () => void) =>
  child.once('exit', (code) => {
    if (code === 0 && !stoppingGenerators) next();
  });

/** The backlog in a burst, then the live run with its surges, then calm live traffic. */
function startTraffic(): void {
  const backlog = startTrafficGenerator(
    [
      ...['--start', new Date(backlogStart).toISOString(), '--burst', '--surges', '0'],
      ...['--count', String((liveStart - backlogStart) / trafficIntervalMs)],
    ],
    'grafana-traffic-backlog.log',
  );
  then(backlog, () => {
    const live = startTrafficGenerator(
      [
        ...['--start', new Date(liveStart).toISOString(), '--no-reference-data'],
        ...['--surges', String(TRAFFIC.surges), '--count', String(liveCount)],
      ],
      'grafana-traffic-live.log',
    );
    then(live, () =>
      startTrafficGenerator(
        [
          ...['--start', new Date(liveStart + TRAFFIC.liveMs).toISOString()],
          ...['--no-reference-data', '--surges', '0'],
        ],
        'grafana-traffic-calm.log',
      ),
    );
  });
}

const trafficRule = alertRules.find((candidate) => candidate.uid === 'traffic-business-surging')!;

interface SurgeObservation {
  /** The rule's expression on this run's series, and whether it was past the threshold. */
  value: number;
  firing: boolean;
  /** The ranked list the dashboard showed at that moment, and its step. */
  top: SurgeAnswerEntry[];
  step: string | null;
  polls: number;
}

/**
 * Polls the traffic rule's own expression (this run's series only) and the surges API until the
 * rule would fire on the surge of a business the generator made surge, at number 1 of the ranked
 * list; returns that moment, or the last one seen when it never comes. Started as soon as the
 * traffic is, so that it sees the surges while they are on, whatever the tests before take.
 */
async function watchSurges(timeoutMs: number): Promise<SurgeObservation> {
  const planned = new Set(plannedSurges.map((surge) => surge.business_id));
  const deadline = Date.now() + timeoutMs;
  let last: SurgeObservation = { value: Number.NaN, firing: false, top: [], step: null, polls: 0 };
  while (Date.now() < deadline && !stoppingGenerators && trafficProcessorEnded() === undefined) {
    try {
      const value = (await promQuery(thisRun(trafficRule.expr))).values[0] ?? Number.NaN;
      const firing =
        trafficRule.comparison === 'gt' ? value > trafficRule.threshold : value < trafficRule.threshold;
      const response = await fetch(`http://127.0.0.1:${PORTS.batch}/api/traffic/surges?at=${Date.now()}`);
      const answer: SurgesAnswer = response.ok
        ? ((await response.json()) as SurgesAnswer)
        : { step: null, surges: [] };
      last = { value, firing, top: answer.surges, step: answer.step, polls: last.polls + 1 };
      // The gauge is scraped every 5 s and may still hold an earlier step: wait for one where the
      // rule's value is the very run the ranked list shows, of a business made to surge.
      const longest = longestRun(answer);
      if (
        firing &&
        longest.entry !== undefined &&
        planned.has(longest.entry.business_id) &&
        longest.seconds === value
      ) {
        return last;
      }
    } catch {
      // The batch service or the tables are not there yet: poll again.
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return last;
}

beforeAll(async () => {
  webhook = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => webhook!.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/api/webhooks/1/token`;
  targetFile = await scrapeThisRun(prefix, SCRAPED, 'grafana');
  startTraffic();
  startProcessor(prefix, keyspace, PORTS.processor, 500, { PROCESSOR_PIPELINES: 'harmony' });
  trafficProcessor = startPipelines(
    'traffic',
    { prefix, instance: 'traffic', port: PORTS.trafficProcessor },
    {
      CASSANDRA_KEYSPACE_HARMONY: keyspace,
      CASSANDRA_KEYSPACE_TRAFFIC: trafficKeyspace,
      TRAFFIC_GRACE_SECONDS: String(TRAFFIC.graceSeconds),
    },
    'grafana-traffic-processor.log',
  );
  startProgram(
    'streams/harmony/notifier/main.ts',
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
    {
      CASSANDRA_KEYSPACE_HARMONY: keyspace,
      CASSANDRA_KEYSPACE_TRAFFIC: trafficKeyspace,
      BATCH_SCHEDULE: '*/5 * * * * *',
      BATCH_HTTP_PORT: String(PORTS.batch),
    },
    'grafana-batch.log',
  );
  surgeSeen = watchSurges(4 * MINUTE_MS);
}, 60_000);

afterAll(async () => {
  stoppingGenerators = true;
  await killPrograms(generators);
  await surgeSeen;
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
    `processor_records_total{job="processor",instance="127.0.0.1:${PORTS.processor}",pipeline="harmony",outcome="accepted"}`,
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

/**
 * What the traffic rule's expression is at a step, from the ranked list the API answers for it:
 * the seconds since the longest-surging business of the top 10 began its run (0 when none).
 */
function longestRun(answer: SurgesAnswer): { entry: SurgeAnswerEntry | undefined; seconds: number } {
  let longest: { entry: SurgeAnswerEntry | undefined; seconds: number } = { entry: undefined, seconds: 0 };
  for (const entry of answer.surges) {
    if (entry.surging_since === null || answer.step === null) continue;
    const seconds = (Date.parse(answer.step) - Date.parse(entry.surging_since)) / SECOND_MS;
    if (longest.entry === undefined || seconds > longest.seconds) longest = { entry, seconds };
  }
  return longest;
}

async function surgesAt(at: number): Promise<SurgesAnswer> {
  const response = await fetch(`http://127.0.0.1:${PORTS.batch}/api/traffic/surges?at=${at}`);
  if (!response.ok) throw new Error(`GET /api/traffic/surges?at=${at}: ${response.status}`);
  return (await response.json()) as SurgesAnswer;
}

test('traffic surge rule: quiet on the backlog, which has no surges', async () => {
  // The rule's expression at a step is the longest run above the ratio of that step's top 10,
  // which the surges API answers for any step: the gauge flashed through the backlog's steps too
  // fast to scrape. Chance lifts a quiet business above the ratio now and then, never for long.
  expect(quietSteps.length).toBeGreaterThanOrEqual(6);
  const runs: {
    step: string;
    longest: ReturnType<typeof longestRun>;
    leader: SurgeAnswerEntry | undefined;
  }[] = [];
  for (const step of quietSteps) {
    const answer = await waitFor(
      () => surgesAt(step),
      (candidate) => candidate.step === new Date(step).toISOString(),
      60_000,
    );
    expect(answer.step, 'the step asked for').toBe(new Date(step).toISOString());
    expect(answer.surges).toHaveLength(SURGE.topN);
    runs.push({ step: answer.step!, longest: longestRun(answer), leader: answer.surges[0] });
  }
  const describe = ({ step, longest, leader }: (typeof runs)[number]) =>
    `${step.slice(11, 19)} number 1 ${leader?.business_id} ${leader?.surge.toFixed(2)}, longest run ${longest.entry?.business_id ?? '-'} ${longest.seconds} s`;
  ran.push(
    `query api (alert rule ${trafficRule.uid}, backlog without surges): per step: ${runs.map(describe).join('; ')}`,
  );
  const firing = runs.filter(({ longest }) => longest.seconds > trafficRule.threshold);
  expect(
    firing.map(describe),
    `with no surge in the traffic, ${trafficRule.expr} is above ${trafficRule.threshold} at ` +
      `${firing.length} of ${runs.length} steps`,
  ).toEqual([]);
});

test('traffic surge rule: firing once a business the generator made surge has been above the ratio for 2 minutes', async () => {
  // The generator starts every planned surge with the live run: the surges are on from there.
  expect(plannedSurges).toHaveLength(TRAFFIC.surges);
  for (const surge of plannedSurges) {
    expect(surge.start.getTime(), surge.business_id).toBe(liveStart);
    expect(surge.end.getTime() - liveStart, surge.business_id).toBeGreaterThanOrEqual(TRAFFIC.liveMs);
    expect(surge.surge, surge.business_id).toBeGreaterThan(SURGE.alertRatio);
  }
  const seen = await surgeSeen!;
  const expr = thisRun(trafficRule.expr);
  ran.push(
    `promql (alert rule ${trafficRule.uid}, this run only): ${expr} -> ${seen.value} after ${seen.polls} polls; ` +
      `top of /api/traffic/surges: ${seen.top.map((entry) => `${entry.business_id} ${entry.surge.toFixed(1)}`).join(', ')}`,
  );
  expect(
    seen.firing,
    `${expr} is ${seen.value}, not above ${trafficRule.threshold}; ${trafficProcessorEnded() ?? ''}; ` +
      `the end of the traffic processor's log:\n` +
      programLog('grafana-traffic-processor.log', 4000),
  ).toBe(true);
  const longest = longestRun({ step: seen.step, surges: seen.top });
  expect(
    plannedSurges.map((surge) => surge.business_id),
    `the longest surge (${JSON.stringify(longest.entry)}) is not a planned one`,
  ).toContain(longest.entry?.business_id);
  expect(longest.seconds, 'the rule sees the longest run of the ranked list').toBe(seen.value);
  expect(seen.top).toHaveLength(SURGE.topN);
  // The map needs each business's place: the catalogue reached the stored businesses.
  for (const entry of seen.top) {
    expect(entry.name, entry.business_id).not.toBeNull();
    expect([entry.lat, entry.lon], entry.business_id).not.toContain(null);
  }
}, 300_000);

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
  await scraped(
    `sum(rate(processor_records_total{run="${prefix}",pipeline="traffic",outcome="accepted"}[1m]))`,
    (values) => (values[0] ?? 0) > 0,
    'grafana-traffic-processor.log',
  );
  // The $pipeline variable: label_values(processor_records_total, pipeline) lists both pipelines.
  const variable = dashboards.flatMap((board) => board.templating.list).find((v) => v.name === 'pipeline')!;
  expect(variable.definition).toBe('label_values(processor_records_total, pipeline)');
  for (const match of ['processor_records_total', thisRun('processor_records_total')]) {
    const response = await fetch(
      `${prometheusUrl}/api/v1/label/pipeline/values?${new URLSearchParams({ 'match[]': match })}`,
    );
    const { data } = (await response.json()) as { data: string[] };
    ran.push(`promql label values (pipeline-health/$pipeline): ${match} -> ${data.join(', ')}`);
    expect(data, match).toEqual(expect.arrayContaining(['harmony', 'traffic']));
  }

  const expressions = [
    ...allTargets()
      .filter(({ target }) => 'expr' in target)
      .map(({ board, where, target }) => ({
        board,
        where,
        expr: substitutePromQL((target as { expr: string }).expr),
      })),
    ...RULES.map((rule) => ({ board: undefined, where: `alert rule ${rule.uid}`, expr: rule.expr })),
  ];
  expect(expressions.length).toBeGreaterThan(35);
  expect(expressions.filter(({ board }) => board === TRAFFIC_DASHBOARD_UID).length).toBeGreaterThanOrEqual(9);
  for (const { board, where, expr } of expressions) {
    // As Grafana runs it, then on this run's series only: both answer.
    for (const query of [expr, thisRun(expr)]) {
      const result = await promQuery(query);
      ran.push(`promql (${where}): ${query} -> ${JSON.stringify(result.values)}`);
      expect(result.status, `${where}: ${query}: ${result.error}`).toBe('success');
      expect(result.values.length, `${where}: ${query} returned no series`).toBeGreaterThan(0);
      // The traffic is live: its panels show something other than zero, but where zero is the good news.
      if (board === TRAFFIC_DASHBOARD_UID && !ZERO_FALLBACK.test(expr)) {
        expect(
          result.values.some((value) => value > 0),
          `${where}: ${query} is ${JSON.stringify(result.values)}`,
        ).toBe(true);
      }
    }
  }
  const byRank = await promQuery(thisRun('max by (rank) (traffic_surge_ratio)'));
  expect(byRank.values, 'a series per rank of the top 10').toHaveLength(SURGE.topN);
});

test('every query-API request of the dashboards is answered from the live Cassandra with rows', async () => {
  const times = sent.map((report) => Date.parse(report.event_time));
  const leaderboard = (await (await fetch(`http://127.0.0.1:${PORTS.batch}/api/leaderboard`)).json()) as {
    person_id: string;
  }[];
  expect(leaderboard.length).toBeGreaterThan(0);
  const now = Date.now();
  const surges = (await (
    await fetch(`http://127.0.0.1:${PORTS.batch}/api/traffic/surges?at=${now}`)
  ).json()) as SurgesAnswer;
  expect(surges.surges.length).toBeGreaterThan(0);
  // Each dashboard's time range: the harmony reports sent, and the traffic generated up to now.
  const range = (board: string) =>
    board === TRAFFIC_DASHBOARD_UID
      ? { from: backlogStart, to: now }
      : { from: Math.min(...times), to: Math.max(...times) + 1 };
  const macros = (board: string): Record<string, string> => ({
    '${__from}': String(range(board).from),
    '${__to}': String(range(board).to),
    $drone: '',
    $person: leaderboard[0]!.person_id,
    // The variable's default: the first business of its query, the current top 10.
    $business: surges.surges[0]!.business_id,
  });
  const substitute = (board: string, text: string) =>
    Object.entries(macros(board)).reduce((result, [macro, value]) => result.replaceAll(macro, value), text);
  const requests = allTargets().filter(({ target }) => 'url' in target);
  expect(requests.length).toBeGreaterThanOrEqual(14);
  for (const { board, where, target } of requests) {
    const { url, url_options, root_selector, columns } = target as ApiTarget;
    const query = new URLSearchParams(
      url_options.params.map(({ key, value }) => [key, substitute(board, value)]),
    );
    const request = `${substitute(board, url)}?${query}`;
    expect(request, `${where}: a variable left in ${request}`).not.toMatch(/\$/);
    const response = await fetch(`http://127.0.0.1:${PORTS.batch}${request}`);
    const body = (await response.json()) as unknown;
    // Infinity reads the rows at root_selector: the traffic routes answer an object around them.
    const rows = (root_selector === '' ? body : (body as Record<string, unknown>)[root_selector]) as Record<
      string,
      unknown
    >[];
    ran.push(
      `query api (${where}): GET ${request} -> ${response.status}, ` +
        `${Array.isArray(rows) ? rows.length : JSON.stringify(body).slice(0, 200)} rows`,
    );
    expect(response.status, `${where}: ${request}`).toBe(200);
    expect(Array.isArray(rows), `${where}: ${request}: no array at '${root_selector}'`).toBe(true);
    expect(rows.length, `${where}: ${request} returned no rows`).toBeGreaterThan(0);
    for (const { selector } of columns) {
      expect(rows[0], `${where}: ${request}: column ${selector}`).toHaveProperty(selector);
    }
  }
  const bad = await fetch(
    `http://127.0.0.1:${PORTS.batch}/api/reports?from=${Math.max(...times) + 1}&to=${Math.min(...times)}`,
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
