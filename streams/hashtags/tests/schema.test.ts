import { describe, expect, test } from 'vitest';
import {
  compareCodePoints,
  compareTop,
  hashtagsIn,
  isCountryCode,
  normaliseHashtag,
  parsePost,
  trendRatio,
  TREND,
} from '../schema.ts';

const post = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    post_id: 'p-1',
    user_id: 'u-1',
    text: 'Big day #WorldCup #worldcup #Café',
    lang: 'en',
    event_time: '2026-11-20T08:00:00.000Z',
    place: { city: 'Paris', country: 'FR', lat: 48.8534, lon: 2.3488 },
    ...overrides,
  });

const reasonOf = (value: string) => {
  const result = parsePost(value);
  return result.ok ? 'accepted' : result.reason;
};

describe('hashtags schema', () => {
  test('normalisation: leading # removed, NFC, case-folded', () => {
    expect(normaliseHashtag('Fußball')).toBe(normaliseHashtag('FUSSBALL'));
    expect(normaliseHashtag('ΟΔΥΣΣΕΥΣ')).toBe(normaliseHashtag('οδυσσευς'));
    expect(normaliseHashtag('#WorldCup')).toBe('worldcup');
    expect(normaliseHashtag('CAFE\u0301')).toBe('café');
    expect(normaliseHashtag('Café')).toBe(normaliseHashtag('cafe\u0301'));
    expect(normaliseHashtag('Москва')).toBe('москва');
    expect(normaliseHashtag('東京')).toBe('東京');
  });

  test('hashtags are read from the text: letters, marks, digits and underscores after #', () => {
    expect(hashtagsIn('so #Good, #a_b2 and #cafe\u0301! # not #東京')).toEqual([
      'Good',
      'a_b2',
      'cafe\u0301',
      '東京',
    ]);
    expect(hashtagsIn('no tags here')).toEqual([]);
  });

  test('a post keeps its distinct normalised hashtags and its event time', () => {
    const result = parsePost(post());
    expect(result).toMatchObject({
      ok: true,
      value: { hashtags: ['worldcup', 'café'], time: Date.parse('2026-11-20T08:00:00.000Z') },
    });
  });

  test('more than 5 hashtags, an unknown country, lat/lon out of range or no text: a reason naming it', () => {
    expect(reasonOf(post({ text: '#a #b #c #d #e #f' }))).toBe('too many hashtags: 6, at most 5');
    expect(reasonOf(post({ text: '#a #b #c #d #a' }))).toBe('accepted');
    expect(reasonOf(post({ place: { city: 'X', country: 'ZZ', lat: 0, lon: 0 } }))).toBe(
      "invalid field place.country: unknown country code 'ZZ'",
    );
    expect(reasonOf(post({ place: { city: 'X', country: 'FR', lat: 91, lon: 0 } }))).toBe(
      'invalid field place.lat: expected a number in [-90, 90]',
    );
    expect(reasonOf(post({ place: { city: 'X', country: 'FR', lat: 0, lon: -180.5 } }))).toBe(
      'invalid field place.lon: expected a number in [-180, 180]',
    );
    expect(reasonOf(post({ text: '' }))).toBe('invalid field text: expected a non-empty string');
    expect(reasonOf(post({ text: undefined }))).toBe('invalid field text: expected a non-empty string');
    expect(reasonOf(post({ place: 'Paris' }))).toBe('invalid field place: expected an object');
    expect(reasonOf(post({ text: `#${'a'.repeat(101)}` }))).toBe(
      `hashtag longer than 100 characters: #${'a'.repeat(101)}`,
    );
    expect(reasonOf(post({ event_time: '1999-12-31T23:59:59Z' }))).toMatch(
      /^invalid field event_time: 1999-12-31T23:59:59Z is outside the accepted event times/,
    );
  });

  test('country codes are ISO 3166-1 alpha-2', () => {
    expect(isCountryCode('JP')).toBe(true);
    expect(isCountryCode('jp')).toBe(false);
    expect(isCountryCode('UK')).toBe(false);
  });

  test('ranking: posts first, then hashtag in code-point order (not UTF-16 order)', () => {
    // U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+FF5E by code units.
    expect('\uFF5E' < '\u{1F600}').toBe(false);
    expect(compareCodePoints('\uFF5E', '\u{1F600}')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
    const entries = [
      { hashtag: 'b', posts: 3 },
      { hashtag: '\u{1F600}', posts: 5 },
      { hashtag: '\uFF5E', posts: 5 },
      { hashtag: 'a', posts: 3 },
    ];
    expect(entries.sort(compareTop).map((entry) => entry.hashtag)).toEqual(['\uFF5E', '\u{1F600}', 'a', 'b']);
  });

  test('the trend ratio never divides by less than the minimum baseline', () => {
    expect(trendRatio(50, 5)).toBe(5);
    expect(trendRatio(50, 0)).toBe(50 / TREND.minBaseline);
    expect(trendRatio(300, 20)).toBe(15);
  });
});
