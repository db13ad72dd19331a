import { describe, expect, test } from 'vitest';
import { createHarmonyTopology, harmonyRows } from '../topology.ts';
import { TopologyTestDriver } from '../../../processor/dsl/driver.ts';
import { Registry } from 'prom-client';
import { parseDroneReport, toAlert, type DroneReport } from '../schema.ts';

const report: DroneReport = {
  report_id: 'r-1',
  drone_id: 'drone-7',
  lat: 48.85,
  lon: 2.35,
  event_time: '2026-11-22T10:17:30.000Z',
  persons: [
    {
      person_id: 'p-1',
      first_name: 'Ann',
      last_name: 'Lee',
      harmony_score: 1.5,
      words: ['I will not stand for this injustice'],
    },
    {
      person_id: 'p-2',
      first_name: 'Bo',
      last_name: 'Kim',
      harmony_score: 8,
      words: ['I feel so happy today'],
    },
  ],
};

describe('parseDroneReport', () => {
  test('a valid report is accepted as it is', () => {
    expect(parseDroneReport(JSON.stringify(report))).toEqual({ ok: true, value: report });
  });

  test.each([
    ['{not json', /^invalid JSON: /],
    [JSON.stringify({ ...report, drone_id: undefined }), /^invalid field drone_id: /],
    [JSON.stringify({ ...report, lat: 91 }), /^invalid field lat: /],
    [JSON.stringify({ ...report, event_time: 'yesterday' }), /^invalid field event_time: /],
    [
      JSON.stringify({ ...report, persons: [{ ...report.persons[0], harmony_score: 11 }] }),
      /^invalid field persons\.0\.harmony_score: /,
    ],
    [JSON.stringify({ ...report, persons: [] }), /^invalid field persons: /],
    [
      JSON.stringify({ ...report, padding: 'x'.repeat(70_000) }),
      /^oversized message: \d+ bytes, at most 65536$/,
    ],
  ])('%#: rejected with a reason naming the problem', (payload, reason) => {
    const parsed = parseDroneReport(payload);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(reason);
  });

  test('a message without a value is rejected', () => {
    expect(parseDroneReport(null)).toEqual({ ok: false, reason: 'empty message: no value' });
  });
});

test('an alert names the distressed persons, the others in contact and the key words', () => {
  expect(toAlert(report)).toEqual({
    alert_id: 'r-1',
    drone_id: 'drone-7',
    lat: 48.85,
    lon: 2.35,
    event_time: '2026-11-22T10:17:30.000Z',
    distressed: [{ person_id: 'p-1', name: 'Ann Lee', score: 1.5 }],
    others_in_contact: [{ person_id: 'p-2', name: 'Bo Kim', score: 8 }],
    key_words: ['I will not stand for this injustice'],
  });
  const calm = { ...report, persons: [report.persons[1]!] };
  expect(toAlert(calm)).toBeNull();
});

test('a report is stored as a report row, an hourly fact, a per-drone fact, one score row per person and one low-score row', () => {
  const rows = harmonyRows(report);
  expect(rows.map((row) => row.table)).toEqual([
    'reports',
    'reports_by_hour',
    'reports_by_drone',
    'person_scores',
    'person_scores',
    'low_scores_by_hour',
  ]);
  expect(rows[1]!.values).toMatchObject({
    hour: new Date('2026-11-22T10:00:00.000Z'),
    persons_count: 2,
    low_count: 1,
    score_sum: 9.5,
  });
});

test('the topology stores every row of a report, alerts keyed by drone, and dead-letters a bad report', () => {
  const topology = createHarmonyTopology(new Registry());
  const driver = new TopologyTestDriver(topology);
  const calm = { ...report, report_id: 'r-2', persons: [report.persons[1]!] };
  driver.pipe('drone.reports', [
    { key: 'drone-7', value: JSON.stringify(report) },
    { key: 'drone-7', value: '{"report_id":' },
    { key: 'drone-7', value: JSON.stringify(calm) },
  ]);
  expect(driver.rows).toEqual([...harmonyRows(report), ...harmonyRows(calm)]);
  expect(
    driver.output('harmony.alerts').map(({ key, value }) => ({ key, value: JSON.parse(value!) })),
  ).toEqual([{ key: 'drone-7', value: toAlert(report) }]);
  const [letter] = driver.output('drone.reports.dlq');
  expect(JSON.parse(letter!.value!)).toMatchObject({
    reason: expect.stringMatching(/^invalid JSON/),
    origin: { topic: 'drone.reports', partition: 0, offset: '1', key: 'drone-7' },
  });
  expect(driver.output('drone.reports.late')).toEqual([]);
});
