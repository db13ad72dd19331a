import { describe, expect, it } from 'vitest';
import {
  LOW_SCORE_THRESHOLD,
  MAX_REPORT_BYTES,
  parseDroneReport,
  toAlert,
  type DroneReport,
} from '../schema.ts';

const validReport = (): DroneReport => ({
  report_id: 'r-1',
  drone_id: 'drone-007',
  lat: 48.85,
  lon: 2.35,
  event_time: '2026-01-01T12:00:00.000Z',
  persons: [
    {
      person_id: 'p-00001',
      first_name: 'Ada',
      last_name: 'Lovelace',
      harmony_score: 1.2,
      words: ['I will not stand for this injustice', 'I am in total despair'],
    },
    {
      person_id: 'p-00002',
      first_name: 'Alan',
      last_name: 'Turing',
      harmony_score: 8.5,
      words: ['I feel so happy today'],
    },
    {
      person_id: 'p-00003',
      first_name: 'Grace',
      last_name: 'Hopper',
      harmony_score: 0.4,
      words: ['I will not stand for this injustice'],
    },
  ],
});

function reasonFor(message: unknown): string {
  const parsed = parseDroneReport(typeof message === 'string' ? message : JSON.stringify(message));
  if (parsed.ok) throw new Error('expected the message to be rejected');
  return parsed.reason;
}

describe('parseDroneReport', () => {
  it('accepts a valid report, as bytes or as text', () => {
    const text = JSON.stringify(validReport());
    expect(parseDroneReport(text)).toEqual({ ok: true, value: validReport() });
    expect(parseDroneReport(Buffer.from(text))).toEqual({ ok: true, value: validReport() });
  });

  it('accepts an event time with a numeric offset', () => {
    expect(
      parseDroneReport(JSON.stringify({ ...validReport(), event_time: '2026-01-01T13:00:00+01:00' })).ok,
    ).toBe(true);
  });

  it('rejects a report naming one person twice, which would store one row for both', () => {
    const report = validReport();
    report.persons[2] = { ...report.persons[2]!, person_id: 'p-00001' };
    expect(reasonFor(report)).toBe(
      'invalid field persons.2.person_id: p-00001 appears more than once in the report',
    );
  });

  it('rejects an empty message', () => {
    expect(parseDroneReport(null)).toEqual({ ok: false, reason: expect.stringMatching(/empty/) });
  });

  it('rejects invalid JSON', () => {
    expect(reasonFor('{"report_id": ')).toMatch(/^invalid JSON/);
  });

  it('rejects an oversized message before parsing it', () => {
    const huge = 'x'.repeat(MAX_REPORT_BYTES + 1);
    expect(reasonFor(huge)).toMatch(/oversized message: 65537 bytes/);
  });

  it('names a missing field', () => {
    const withoutDrone: Partial<DroneReport> = validReport();
    delete withoutDrone.drone_id;
    expect(reasonFor(withoutDrone)).toMatch(/drone_id/);
  });

  it('names a mistyped field with its path', () => {
    const report = validReport();
    const persons = [report.persons[0], { ...report.persons[1], harmony_score: 'high' }];
    expect(reasonFor({ ...report, persons })).toMatch(/persons\.1\.harmony_score/);
  });

  it('rejects out-of-range scores and coordinates', () => {
    const report = validReport();
    expect(reasonFor({ ...report, persons: [{ ...report.persons[0], harmony_score: 10.5 }] })).toMatch(
      /persons\.0\.harmony_score/,
    );
    expect(reasonFor({ ...report, persons: [{ ...report.persons[0], harmony_score: -1 }] })).toMatch(
      /persons\.0\.harmony_score/,
    );
    expect(reasonFor({ ...report, lat: 91 })).toMatch(/lat/);
    expect(reasonFor({ ...report, lon: -180.5 })).toMatch(/lon/);
  });

  it('rejects an event time without a timezone', () => {
    expect(reasonFor({ ...validReport(), event_time: '2026-01-01T12:00:00' })).toMatch(/event_time/);
  });

  it('rejects an empty report id, no persons, and too many sentences', () => {
    const report = validReport();
    expect(reasonFor({ ...report, report_id: '' })).toMatch(/report_id/);
    expect(reasonFor({ ...report, persons: [] })).toMatch(/persons/);
    const talkative = { ...report.persons[0], words: Array.from({ length: 6 }, () => 'hello') };
    expect(reasonFor({ ...report, persons: [talkative] })).toMatch(/persons\.0\.words/);
  });
});

describe('toAlert', () => {
  it('raises no alert when everyone scores at or above the threshold', () => {
    const report = validReport();
    const calm = report.persons.map((person) => ({ ...person, harmony_score: LOW_SCORE_THRESHOLD }));
    expect(toAlert({ ...report, persons: calm })).toBeNull();
  });

  it('separates the distressed from the others in contact and keeps their words once each', () => {
    expect(toAlert(validReport())).toEqual({
      alert_id: 'r-1',
      drone_id: 'drone-007',
      lat: 48.85,
      lon: 2.35,
      event_time: '2026-01-01T12:00:00.000Z',
      distressed: [
        { person_id: 'p-00001', name: 'Ada Lovelace', score: 1.2 },
        { person_id: 'p-00003', name: 'Grace Hopper', score: 0.4 },
      ],
      others_in_contact: [{ person_id: 'p-00002', name: 'Alan Turing', score: 8.5 }],
      key_words: ['I will not stand for this injustice', 'I am in total despair'],
    });
  });
});
