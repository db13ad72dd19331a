import { describe, expect, test } from 'vitest';
import {
  countDays,
  countsAnswer,
  parseCountsParams,
  parseHashtag,
  parsePlacesParams,
  parseTopParams,
  placeHours,
  placesAnswer,
  topAnswer,
  topHours,
} from '../api.ts';

const NOW = new Date('2026-11-20T08:30:00.000Z');

describe('hashtags query API', () => {
  test('top: at defaults to now; the window is the stream’s 5 minutes, any other is refused by name', () => {
    expect(parseTopParams({}, NOW)).toEqual({ ok: true, value: { at: NOW } });
    expect(parseTopParams({ at: '1795161600000', window: '5m' }, NOW)).toEqual({
      ok: true,
      value: { at: new Date(1795161600000) },
    });
    expect(parseTopParams({ window: '1h' }, NOW)).toEqual({
      ok: false,
      reason: "window: the top 10 is ranked over the last 5 minutes only (window=5m), got '1h'",
    });
    expect(parseTopParams({ since: 'x' }, NOW)).toMatchObject({
      ok: false,
      reason: /^since: unknown parameter/,
    });
    expect(
      topHours(NOW)
        .map((hour) => hour.toISOString())
        .slice(0, 2),
    ).toEqual(['2026-11-20T08:00:00.000Z', '2026-11-20T07:00:00.000Z']);
    expect(topHours(NOW)).toHaveLength(25);
  });

  test('top answer: the newest step’s rows by rank, as rank, hashtag, count', () => {
    const step = new Date('2026-11-20T08:29:50.000Z');
    const older = new Date('2026-11-20T08:29:40.000Z');
    expect(
      topAnswer([
        { step, rank: 2, hashtag: 'b', posts: 5 },
        { step, rank: 1, hashtag: 'a', posts: 9 },
        { step: older, rank: 1, hashtag: 'c', posts: 20 },
      ]),
    ).toEqual({
      step: step.toISOString(),
      window: '5m',
      top: [
        { rank: 1, hashtag: 'a', count: 9 },
        { rank: 2, hashtag: 'b', count: 5 },
      ],
    });
    expect(topAnswer([])).toEqual({ step: null, window: '5m', top: [] });
  });

  test('counts: the tag is normalised as the stream stores it; the range is bounded', () => {
    expect(parseHashtag('#WorldCup')).toEqual({ ok: true, value: 'worldcup' });
    expect(parseHashtag('Cafe\u0301')).toEqual({ ok: true, value: 'café' });
    expect(parseHashtag('two words')).toMatchObject({
      ok: false,
      reason: /^tag: a hashtag is 1 to 100 letters/,
    });
    expect(parseCountsParams('Music', {}, NOW)).toEqual({
      ok: true,
      value: { hashtag: 'music', from: new Date('2026-11-20T07:30:00.000Z'), to: NOW },
    });
    expect(parseCountsParams('music', { from: '2026-11-18T00:00:00Z' }, NOW)).toMatchObject({
      ok: false,
      reason: 'from/to: the range may span at most 24 hours',
    });
    expect(
      countDays(new Date('2026-11-19T23:00:00Z'), new Date('2026-11-20T01:00:00Z')).map((day) =>
        day.toISOString(),
      ),
    ).toEqual(['2026-11-19T00:00:00.000Z', '2026-11-20T00:00:00.000Z']);
    expect(
      countsAnswer('music', 42, [
        { minute: new Date('2026-11-20T08:01:00Z'), posts: 3 },
        { minute: new Date('2026-11-20T08:00:00Z'), posts: 4 },
      ]),
    ).toEqual({
      hashtag: 'music',
      total: 42,
      minutes: [
        { minute: '2026-11-20T08:00:00.000Z', count: 4 },
        { minute: '2026-11-20T08:01:00.000Z', count: 3 },
      ],
    });
  });

  test('places: by city or by country (at the posts-weighted mean of its cities), busiest first', () => {
    expect(parsePlacesParams({ level: 'region' }, NOW)).toEqual({
      ok: false,
      reason: "level: country or city, got 'region'",
    });
    expect(parsePlacesParams({}, NOW)).toMatchObject({ ok: true, value: { level: 'city' } });
    expect(placeHours(new Date('2026-11-20T07:30:00Z'), NOW)).toHaveLength(2);
    const rows = [
      { country: 'FR', city: 'Paris', lat: 48, lon: 2, posts: 3 },
      { country: 'FR', city: 'Lyon', lat: 46, lon: 4, posts: 1 },
      { country: 'FR', city: 'Paris', lat: 48, lon: 2, posts: 2 },
      { country: 'JP', city: 'Tokyo', lat: 35.6, lon: 139.7, posts: 4 },
    ];
    expect(placesAnswer(rows, 'city')).toEqual([
      { place: 'Paris, FR', country: 'FR', city: 'Paris', lat: 48, lon: 2, count: 5 },
      { place: 'Tokyo, JP', country: 'JP', city: 'Tokyo', lat: 35.6, lon: 139.7, count: 4 },
      { place: 'Lyon, FR', country: 'FR', city: 'Lyon', lat: 46, lon: 4, count: 1 },
    ]);
    expect(placesAnswer(rows, 'country')).toEqual([
      { place: 'FR', country: 'FR', city: null, lat: 47.6667, lon: 2.3333, count: 6 },
      { place: 'JP', country: 'JP', city: null, lat: 35.6, lon: 139.7, count: 4 },
    ]);
  });
});
