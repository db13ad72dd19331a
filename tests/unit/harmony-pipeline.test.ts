import { describe, expect, test } from 'vitest';
import { createHarmonyPipeline, harmonyRows, hourOf } from '../../processor/pipelines/harmony.ts';
import { Registry } from 'prom-client';
import { parseDroneReport, toAlert, type DroneReport } from '../../schemas/harmony.ts';

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
    expect(parseDroneReport(JSON.stringify(report))).toEqual({ ok: true, report });
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

test('a report is stored as a report row, an hourly fact, one score row per person and one low-score row', () => {
  const rows = harmonyRows(report);
  expect(rows.map((row) => row.table)).toEqual([
    'reports',
    'reports_by_hour',
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
  expect(hourOf(new Date('2026-11-22T10:59:59.999Z'))).toEqual(new Date('2026-11-22T10:00:00.000Z'));
});

test('the pipeline derives one alert record keyed by drone, on the prefixed alerts topic', () => {
  const pipeline = createHarmonyPipeline(new Registry(), 'test.');
  expect(pipeline.sourceTopic).toBe('test.drone.reports');
  expect(pipeline.deadLetterTopic).toBe('test.drone.reports.dlq');
  const derived = pipeline.derive(report);
  expect(derived.map(({ topic, key }) => ({ topic, key }))).toEqual([
    { topic: 'test.harmony.alerts', key: 'drone-7' },
  ]);
});
