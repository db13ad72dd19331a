import { spawnSync } from 'node:child_process';
import { beforeAll, expect, test } from 'vitest';
import { sampleValue } from '../../../common/exposition.ts';
import { projectRoot } from '../../../services/config.ts';
import type { DroneReport } from '../schema.ts';
import {
  cassandraClient,
  isolatedRun,
  metricsText,
  startProgram,
  stopGracefully,
  waitFor,
} from '../../../tests/support/harness.ts';
import { cassandraContactPoint } from '../../../tests/support/services.ts';
import { generateReports, startProcessor, storedReportIds } from './support.ts';

const { prefix, keyspace } = isolatedRun();
let sent: DroneReport[] = [];

beforeAll(async () => {
  sent = generateReports(`${prefix}drone.reports`, 2000, 7);
  const processor = startProcessor(prefix, keyspace, 19524);
  await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length === sent.length,
    120_000,
  );
  await stopGracefully(processor);
}, 180_000);

/** The top 10 computed straight from the generator's file, as the issue defines it. */
function expectedTop10(reports: DroneReport[]) {
  const people = new Map<string, { name: string; low: number; scores: number[] }>();
  for (const report of reports) {
    for (const person of report.persons) {
      const seen = people.get(person.person_id) ?? { name: '', low: 0, scores: [] };
      seen.name = `${person.first_name} ${person.last_name}`;
      seen.scores.push(person.harmony_score);
      if (person.harmony_score < 2) seen.low += 1;
      people.set(person.person_id, seen);
    }
  }
  return [...people]
    .filter(([, person]) => person.low > 0)
    .map(([person_id, person]) => ({
      person_id,
      name: person.name,
      low_count: person.low,
      avg_score: person.scores.reduce((sum, score) => sum + score, 0) / person.scores.length,
    }))
    .sort(
      (a, b) =>
        b.low_count - a.low_count ||
        // Equal averages summed in another order differ in the last bits: the person id decides.
        (Math.abs(a.avg_score - b.avg_score) < 1e-9 ? 0 : a.avg_score - b.avg_score) ||
        a.person_id.localeCompare(b.person_id),
    )
    .slice(0, 10)
    .map((person, index) => ({ rank: index + 1, ...person }));
}

function expectedMinutes(reports: DroneReport[]) {
  const minutes = new Map<number, { reports: number; persons: number; low: number; sum: number }>();
  for (const report of reports) {
    const minute = Math.floor(Date.parse(report.event_time) / 60_000) * 60_000;
    const bucket = minutes.get(minute) ?? { reports: 0, persons: 0, low: 0, sum: 0 };
    bucket.reports += 1;
    bucket.persons += report.persons.length;
    bucket.low += report.persons.filter((person) => person.harmony_score < 2).length;
    bucket.sum += report.persons.reduce((sum, person) => sum + person.harmony_score, 0);
    minutes.set(minute, bucket);
  }
  return [...minutes]
    .sort(([a], [b]) => a - b)
    .map(([minute, bucket]) => ({
      bucket_start: new Date(minute).toISOString(),
      reports: bucket.reports,
      avg_score: bucket.sum / bucket.persons,
      avg_persons_per_report: bucket.persons / bucket.reports,
      avg_low_persons_per_report: bucket.low / bucket.reports,
    }));
}

interface BatchJson {
  top_low_persons: {
    persons: { rank: number; person_id: string; name: string; low_count: number; avg_score: number }[];
  };
  report_stats: {
    bucket_start: string;
    reports: number;
    avg_score: number;
    avg_persons_per_report: number;
    avg_low_persons_per_report: number;
  }[];
}

function runBatch(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'batch/cli.ts', ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: {
      ...process.env,
      CASSANDRA_KEYSPACE_HARMONY: keyspace,
      CASSANDRA_CONTACT_POINTS: cassandraContactPoint,
    },
  });
}

function expectClose<T extends Record<string, unknown>>(actual: T[], expected: T[]) {
  expect(actual).toHaveLength(expected.length);
  for (const [index, row] of expected.entries()) {
    for (const [key, value] of Object.entries(row)) {
      if (typeof value === 'number' && !Number.isInteger(value))
        expect(actual[index]![key]).toBeCloseTo(value, 9);
      else expect(actual[index]![key]).toEqual(value);
    }
  }
}

test('batch --once --json over the file range equals the top 10 and per-minute averages computed from the file', async () => {
  const times = sent.map((report) => Date.parse(report.event_time));
  const from = new Date(Math.min(...times)).toISOString();
  const to = new Date(Math.max(...times) + 1).toISOString();
  const result = runBatch('--once', '--json', '--from', from, '--to', to);
  expect(result.status, result.stderr).toBe(0);
  const output = JSON.parse(result.stdout) as BatchJson;

  const top = expectedTop10(sent);
  expect(top).toHaveLength(10);
  expectClose(output.top_low_persons.persons, top);
  const minutes = expectedMinutes(sent);
  expect(minutes.length).toBeGreaterThanOrEqual(20);
  expectClose(output.report_stats, minutes);

  // Written to Cassandra, and a second run over the same range leaves the same rows.
  const board = `${from}/${to}`;
  const read = async () =>
    (
      await cassandraClient.execute(
        `SELECT rank, person_id, low_count FROM ${keyspace}.top_low_persons WHERE board = ?`,
        [board],
        { prepare: true },
      )
    ).rows.map((row) => ({
      rank: row['rank'] as number,
      person_id: row['person_id'] as string,
      low_count: row['low_count'] as number,
    }));
  const first = await read();
  expect(first).toEqual(top.map(({ rank, person_id, low_count }) => ({ rank, person_id, low_count })));
  expect(runBatch('--once', '--from', from, '--to', to).status).toBe(0);
  expect(await read()).toEqual(first);
  const stats = await cassandraClient.execute(
    `SELECT bucket_start, reports FROM ${keyspace}.report_stats`,
    [],
    {
      fetchSize: 10_000,
    },
  );
  expect(stats.rows.map((row) => (row['bucket_start'] as Date).toISOString()).sort()).toEqual(
    minutes.map((minute) => minute.bucket_start),
  );
});

test('bad options: one line on stderr, exit 2', () => {
  const result = runBatch('--from', '2026-01-02T00:00:00Z', '--to', '2026-01-01T00:00:00Z');
  expect(result.status).toBe(2);
  expect(result.stderr.trim()).toBe('batch: --to must be later than --from');
});

test('scheduled: jobs run on the schedule, results served as gauges and through the query API, bad parameters get a 4xx', async () => {
  const startedAt = Date.now() / 1000;
  const batch = startProgram(
    'batch/cli.ts',
    { CASSANDRA_KEYSPACE_HARMONY: keyspace, BATCH_SCHEDULE: '*/3 * * * * *', BATCH_HTTP_PORT: '19525' },
    'batch.log',
  );
  const metrics = await waitFor(
    () => metricsText(19525),
    (text) =>
      (sampleValue(text, 'batch_job_runs_total', { name: 'report_stats', outcome: 'success' }) ?? 0) >= 2 &&
      sampleValue(text, 'harmony_bucket_reports') !== undefined,
    60_000,
  );
  const sample = (name: string, labels?: Record<string, string>) => sampleValue(metrics, name, labels);
  const top = expectedTop10(sent);
  for (const leader of top) {
    const labels = { rank: String(leader.rank), person_id: leader.person_id };
    expect(sample('harmony_top_low_person_low_scores', labels)).toBe(leader.low_count);
    expect(sample('harmony_top_low_person_average_score', labels)).toBeCloseTo(leader.avg_score, 9);
    // No personal data in metrics: a label would keep the name in Prometheus' storage.
    expect(metrics).not.toContain(leader.name);
  }
  expect(metrics.match(/^harmony_top_low_person_low_scores\{/gm)).toHaveLength(10);
  const lastMinute = expectedMinutes(sent).at(-1)!;
  expect(sample('harmony_bucket_reports')).toBe(lastMinute.reports);
  expect(sample('harmony_bucket_average_score')).toBeCloseTo(lastMinute.avg_score, 9);
  expect(sample('harmony_bucket_persons_per_report')).toBeCloseTo(lastMinute.avg_persons_per_report, 9);
  expect(sample('harmony_bucket_low_persons_per_report')).toBeCloseTo(
    lastMinute.avg_low_persons_per_report,
    9,
  );
  for (const job of ['top_low_persons', 'drone_activity', 'report_stats']) {
    expect(sample('batch_job_last_success_timestamp_seconds', { name: job })).toBeGreaterThan(startedAt);
    expect(sample('batch_job_duration_seconds_count', { name: job })).toBeGreaterThanOrEqual(2);
    expect(sample('batch_job_runs_total', { name: job, outcome: 'failure' }) ?? 0).toBe(0);
  }

  // The query API on the same port, answered from this run's Cassandra keyspace.
  const api = async (pathAndQuery: string) => {
    const response = await fetch(`http://127.0.0.1:19525/api${pathAndQuery}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const times = sent.map((report) => Date.parse(report.event_time));
  const range = `from=${Math.min(...times)}&to=${Math.max(...times) + 1}`;
  const reports = await api(`/reports?${range}&limit=50`);
  expect(reports.status).toBe(200);
  const newest = sent.reduce((latest, report) => (report.event_time > latest.event_time ? report : latest));
  expect((reports.body as { report_id: string }[])[0]!.report_id).toBe(newest.report_id);
  expect(reports.body).toHaveLength(50);
  const drone = sent[0]!.drone_id;
  const ofDrone = (await api(`/reports?${range}&limit=500&drone=${drone}`)).body as {
    drone_id: string;
    report_id: string;
  }[];
  const droneReports = sent
    .filter((report) => report.drone_id === drone)
    .sort((a, b) => Date.parse(b.event_time) - Date.parse(a.event_time));
  expect(ofDrone.map((report) => report.report_id)).toEqual(droneReports.map((report) => report.report_id));
  expect(new Set(ofDrone.map((report) => report.drone_id))).toEqual(new Set([drone]));
  const firstTwo = (await api(`/reports?${range}&limit=2&drone=${drone}`)).body as { report_id: string }[];
  expect(firstTwo.map((report) => report.report_id)).toEqual(
    droneReports.slice(0, 2).map((r) => r.report_id),
  );
  expect((await api(`/reports?${range}&drone=no-such-drone`)).body).toEqual([]);
  const person = top[0]!;
  const scores = await api(`/persons/${person.person_id}/scores?${range}`);
  expect((scores.body as unknown[]).length).toBe(
    sent.filter((report) => report.persons.some((seen) => seen.person_id === person.person_id)).length,
  );
  const leaderboard = (await api('/leaderboard')).body as { person_id: string; recent_scores: string }[];
  expect(leaderboard.map((row) => row.person_id)).toEqual(top.map((row) => row.person_id));
  expect(leaderboard[0]!.recent_scores.split(',').length).toBeGreaterThan(0);
  const stats = (await api(`/report-stats?${range}`)).body as { bucket_start: string; reports: number }[];
  expect(stats.map((row) => [row.bucket_start, row.reports])).toEqual(
    expectedMinutes(sent).map((minute) => [minute.bucket_start, minute.reports]),
  );
  const drones = (await api(`/drones?${range}`)).body as {
    drone_id: string;
    reports: number;
    alerts: number;
    last_seen: string;
    lat: number;
    lon: number;
  }[];
  expect(drones).toHaveLength(new Set(sent.map((report) => report.drone_id)).size);
  for (const drone of drones) {
    const latest = sent
      .filter((report) => report.drone_id === drone.drone_id)
      .reduce((last, report) =>
        Date.parse(report.event_time) >= Date.parse(last.event_time) ? report : last,
      );
    expect(drone, drone.drone_id).toMatchObject({
      last_seen: new Date(latest.event_time).toISOString(),
      lat: latest.lat,
      lon: latest.lon,
    });
  }
  expect(drones.reduce((sum, drone) => sum + drone.reports, 0)).toBe(sent.length);
  expect(drones.reduce((sum, drone) => sum + drone.alerts, 0)).toBe(
    sent.filter((report) => report.persons.some((seen) => seen.harmony_score < 2)).length,
  );

  for (const [bad, reason] of [
    ['/reports?limit=100000', /^limit: /],
    ['/reports?from=yesterday', /^from: /],
    ['/reports?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /from must be earlier than to/],
    ['/report-stats?from=0&to=1900000000000', /at most 168 hours/],
    ['/persons/%20/scores', /^person: /],
    ['/nothing-here', /^no endpoint GET/],
  ] as const) {
    const response = await api(bad);
    expect(response.status, bad).toBeGreaterThanOrEqual(400);
    expect(response.status, bad).toBeLessThan(500);
    expect((response.body as { error: string }).error, bad).toMatch(reason);
  }
  expect(await stopGracefully(batch)).toBe(0);
});
