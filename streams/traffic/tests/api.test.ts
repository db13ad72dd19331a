import { describe, expect, test } from 'vitest';
import {
  minutesWithTrailing,
  newestStep,
  parseSurgesParams,
  parseViewsParams,
  surgeHours,
  surgesAnswer,
  viewsReadPlan,
} from '../api.ts';

const at = (iso: string) => new Date(iso);
const now = at('2026-03-01T10:20:00Z');

describe('surges parameters', () => {
  test('at: epoch milliseconds or ISO-8601 with a timezone; now by default', () => {
    expect(parseSurgesParams({}, now)).toEqual({ ok: true, value: { at: now } });
    expect(parseSurgesParams({ at: String(now.getTime()) }, now)).toEqual({ ok: true, value: { at: now } });
    expect(parseSurgesParams({ at: '2026-03-01T11:20:00+01:00' }, now)).toEqual({
      ok: true,
      value: { at: now },
    });
  });

  test('refused with the parameter named: not a time, no timezone, no such day, repeated, unknown', () => {
    for (const text of [
      'abc',
      '',
      '-5',
      '1.5',
      '2026-03-01T10:20:00',
      '2026-03-01',
      '2026-02-31T00:00:00Z',
    ]) {
      expect(parseSurgesParams({ at: text }, now), text).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^at: expected epoch milliseconds or an ISO-8601 time with a timezone/),
      });
    }
    expect(parseSurgesParams({ at: ['1', '2'] }, now)).toEqual({
      ok: false,
      reason: 'at: given more than once; give it once',
    });
    expect(parseSurgesParams({ time: '1' }, now)).toEqual({
      ok: false,
      reason: 'time: unknown parameter; this route takes only at',
    });
  });
});

describe('views parameters', () => {
  test('the last hour by default; from alone ends now, to alone starts an hour before', () => {
    expect(parseViewsParams('b-1', {}, now)).toEqual({
      ok: true,
      value: { business_id: 'b-1', from: at('2026-03-01T09:20:00Z'), to: now },
    });
    expect(parseViewsParams('b-1', { to: '2026-03-01T08:00:00Z' }, now)).toMatchObject({
      ok: true,
      value: { from: at('2026-03-01T07:00:00Z'), to: at('2026-03-01T08:00:00Z') },
    });
    expect(parseViewsParams('Shop_1.a:b-c', { from: '2026-03-01T00:00:00Z' }, now)).toMatchObject({
      ok: true,
      value: { business_id: 'Shop_1.a:b-c', from: at('2026-03-01T00:00:00Z'), to: now },
    });
  });

  test('from < to, at most 24 hours', () => {
    const from = '2026-03-01T00:00:00Z';
    expect(parseViewsParams('b-1', { from, to: from }, now)).toEqual({
      ok: false,
      reason: 'from/to: from must be earlier than to',
    });
    expect(parseViewsParams('b-1', { from, to: '2026-03-02T00:00:00Z' }, now)).toMatchObject({ ok: true });
    expect(parseViewsParams('b-1', { from, to: '2026-03-02T00:00:00.001Z' }, now)).toEqual({
      ok: false,
      reason: 'from/to: the range may span at most 24 hours',
    });
    expect(parseViewsParams('b-1', { from: 'yesterday' }, now)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^from: /),
    });
    expect(parseViewsParams('b-1', { to: ['1', '2'] }, now)).toMatchObject({
      reason: /^to: given more than once/,
    });
    expect(parseViewsParams('b-1', { limit: '5' }, now)).toEqual({
      ok: false,
      reason: 'limit: unknown parameter; this route takes only from, to',
    });
  });

  test('the business id: 1 to 64 of A-Z a-z 0-9 _ . : -', () => {
    for (const id of ['', 'a b', 'a/b', 'é', 'x'.repeat(65), undefined, ['a', 'b']]) {
      expect(parseViewsParams(id, {}, now), String(id)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^id: a business id is 1 to 64 characters/),
      });
    }
    expect(parseViewsParams('x'.repeat(64), {}, now)).toMatchObject({ ok: true });
  });
});

describe('surges at a time', () => {
  test('the hour partition of at, then at most the 24 before it, newest first', () => {
    const hours = surgeHours(at('2026-03-01T10:20:00Z'));
    expect(hours).toHaveLength(25);
    expect(hours[0]).toEqual(at('2026-03-01T10:00:00Z'));
    expect(hours[1]).toEqual(at('2026-03-01T09:00:00Z'));
    expect(hours.at(-1)).toEqual(at('2026-02-28T10:00:00Z'));
    expect(surgeHours(at('2026-03-01T10:00:00Z'))[0]).toEqual(at('2026-03-01T10:00:00Z'));
  });

  const row = (step: string, rank: number, business_id: string) => ({
    step: at(step),
    rank,
    business_id,
    views_60s: 10 * rank,
    trailing_avg: rank / 2,
    surge: 20 - rank,
    surging_since: rank === 1 ? at('2026-03-01T10:18:00Z') : null,
  });

  test('of rows newest step first, only the newest step counts', () => {
    const rows = [
      row('2026-03-01T10:19:50Z', 1, 'b-1'),
      row('2026-03-01T10:19:50Z', 2, 'b-2'),
      row('2026-03-01T10:19:40Z', 1, 'b-3'),
    ];
    expect(newestStep(rows)).toEqual(rows.slice(0, 2));
    expect(newestStep([])).toEqual([]);
  });

  test('by rank, with name and place from the catalogue, null for a business not in it yet', () => {
    const business = {
      business_id: 'b-2',
      name: 'Two',
      category: 'cafe',
      city: 'Lyon',
      country: 'FR',
      lat: 45.7,
      lon: 4.8,
    };
    const answer = surgesAnswer(
      [row('2026-03-01T10:19:50Z', 2, 'b-2'), row('2026-03-01T10:19:50Z', 1, 'b-1')],
      new Map([['b-2', business]]),
    );
    expect(answer).toEqual({
      step: '2026-03-01T10:19:50.000Z',
      surges: [
        {
          rank: 1,
          business_id: 'b-1',
          name: null,
          category: null,
          city: null,
          country: null,
          lat: null,
          lon: null,
          views_60s: 10,
          trailing_avg: 0.5,
          surge: 19,
          surging_since: '2026-03-01T10:18:00.000Z',
        },
        {
          rank: 2,
          business_id: 'b-2',
          name: 'Two',
          category: 'cafe',
          city: 'Lyon',
          country: 'FR',
          lat: 45.7,
          lon: 4.8,
          views_60s: 20,
          trailing_avg: 1,
          surge: 18,
          surging_since: null,
        },
      ],
    });
    expect(surgesAnswer([], new Map())).toEqual({ step: null, surges: [] });
  });
});

describe('views per minute', () => {
  test('reads from 16 minutes before the first minute, in the hour partitions that hold them', () => {
    expect(viewsReadPlan(at('2026-03-01T10:20:30Z'), at('2026-03-01T11:00:00Z'))).toEqual({
      from: at('2026-03-01T10:04:00Z'),
      to: at('2026-03-01T11:00:00Z'),
      hours: [at('2026-03-01T10:00:00Z')],
    });
    expect(viewsReadPlan(at('2026-03-02T00:10:00Z'), at('2026-03-02T01:20:00Z')).hours).toEqual([
      at('2026-03-01T23:00:00Z'),
      at('2026-03-02T00:00:00Z'),
      at('2026-03-02T01:00:00Z'),
    ]);
  });

  test('trailing_avg: the views of [m − 16 min, m − 1 min) over 15, missing minutes 0; stored minutes in [from, to) only', () => {
    // 09:44 holds 1 view, 09:45 2, ... 10:02 19; 09:50 (7 views) has no row.
    const rows = Array.from({ length: 19 }, (_, k) => ({
      minute: new Date(at('2026-03-01T09:44:00Z').getTime() + k * 60_000),
      views: k + 1,
    })).filter((stored) => stored.minute.getTime() !== at('2026-03-01T09:50:00Z').getTime());
    // 10:00 sums 09:44..09:58 (1..15 without 7); 10:01 sums 09:45..09:59 (2..16 without 7).
    expect(minutesWithTrailing(rows, at('2026-03-01T10:00:00Z'), at('2026-03-01T10:02:00Z'))).toEqual([
      { minute: '2026-03-01T10:00:00.000Z', views: 17, trailing_avg: 113 / 15 },
      { minute: '2026-03-01T10:01:00.000Z', views: 18, trailing_avg: 128 / 15 },
    ]);
    // A minute without a row is not listed; a first minute with no history trails at 0.
    expect(
      minutesWithTrailing(rows, at('2026-03-01T09:44:00Z'), at('2026-03-01T09:51:00Z')).map((minute) => [
        minute.minute.slice(11, 16),
        minute.trailing_avg,
      ]),
    ).toEqual([
      ['09:44', 0],
      ['09:45', 0],
      ['09:46', 1 / 15],
      ['09:47', 3 / 15],
      ['09:48', 6 / 15],
      ['09:49', 10 / 15],
    ]);
  });
});
