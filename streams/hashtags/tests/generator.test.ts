import { describe, expect, test } from 'vitest';
import { MINUTE_MS } from '../../../common/time.ts';
import { hashtagsGenerator } from '../generator.ts';
import { PLACES } from '../places.ts';
import { VOCABULARY } from '../vocabulary.ts';
import { describeTrend, parseTrend, popularity, posts, TREND_MIN_SHARE, type PostsConfig } from '../posts.ts';
import { isCountryCode, normaliseHashtag, parsePost, POSTS_TOPIC } from '../schema.ts';

const START = new Date('2026-01-01T00:00:00Z');

function take(config: Partial<PostsConfig>, count: number) {
  const generated = [];
  const events = posts({ seed: 3, start: START, intervalMs: 2, ...config });
  for (let index = 0; index < count; index++) generated.push(events.next().value!);
  return generated;
}

describe('posts generator', () => {
  test('at least 300 real cities with valid country codes and coordinates, weighted by population', () => {
    expect(PLACES.length).toBeGreaterThanOrEqual(300);
    for (const place of PLACES) {
      expect(isCountryCode(place.country), place.country).toBe(true);
      expect(Math.abs(place.lat)).toBeLessThanOrEqual(90);
      expect(Math.abs(place.lon)).toBeLessThanOrEqual(180);
    }
    expect(PLACES.find((place) => place.city === 'Tokyo')).toMatchObject({ country: 'JP', lang: 'ja' });
    const sample = take({}, 20_000);
    const fromTokyo = sample.filter((post) => post.place.city === 'Tokyo').length;
    const fromSmallest = sample.filter((post) => post.place.city === PLACES.at(-1)!.city).length;
    expect(fromTokyo).toBeGreaterThan(3 * fromSmallest);
  });

  test('several thousand distinct hashtags, Zipf-popular: the top 10 carry a large share', () => {
    expect(new Set(VOCABULARY.map(normaliseHashtag)).size).toBe(VOCABULARY.length);
    expect(VOCABULARY.length).toBeGreaterThan(3000);
    const counts = new Map<string, number>();
    for (const post of take({}, 20_000)) {
      const result = parsePost(JSON.stringify(post));
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.value.hashtags.length).toBeLessThanOrEqual(5);
      for (const hashtag of result.value.hashtags) counts.set(hashtag, (counts.get(hashtag) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const all = sorted.reduce((sum, count) => sum + count, 0);
    expect(sorted.slice(0, 10).reduce((sum, count) => sum + count, 0) / all).toBeGreaterThan(0.2);
    expect(counts.size).toBeGreaterThan(1000);
  });

  test('the same seed and start give the same posts; another seed others', () => {
    expect(take({}, 500)).toEqual(take({}, 500));
    expect(take({ seed: 4 }, 500)).not.toEqual(take({}, 500));
    expect(take({}, 1)[0]!.event_time).toBe(START.toISOString());
  });

  test('--trend TAG@MINUTE: the hashtag is in its trend share of posts from that minute, and the rest is unchanged', () => {
    const trend = parseTrend('#Eclipse2026@2');
    expect(trend).toEqual({ hashtag: 'Eclipse2026', minute: 2 });
    const intervalMs = 10;
    const count = (4 * MINUTE_MS) / intervalMs;
    const trending = take({ trend, intervalMs }, count);
    const plain = take({ intervalMs }, count);
    const has = (post: { text: string }) => /#Eclipse2026\b/.test(post.text);
    const before = trending.filter((post) => Date.parse(post.event_time) < START.getTime() + 2 * MINUTE_MS);
    const after = trending.slice(before.length);
    expect(before.some(has)).toBe(false);
    expect(after.filter(has).length / after.length).toBeCloseTo(TREND_MIN_SHARE, 2);
    expect(trending.map((post) => post.place)).toEqual(plain.map((post) => post.place));
    expect(describeTrend({ seed: 3, start: START, intervalMs, trend })).toEqual([
      `trend: #Eclipse2026 (not in the vocabulary) in 3.0% of posts from 2026-01-01T00:02:00.000Z`,
    ]);
    const popular = VOCABULARY[popularity(3).byRank[0]!]!;
    expect(
      describeTrend({ seed: 3, start: START, intervalMs, trend: { hashtag: popular, minute: 0 } })[0],
    ).toMatch(/\(rank 1 of \d+, in \d+\.\d+% of posts\) in 100\.0% of posts/);
  });

  test('a wrong --trend says what is wrong in one line', () => {
    for (const text of ['eclipse', 'eclipse@', '@3', 'ec lipse@3', 'eclipse@-1']) {
      expect(() => parseTrend(text)).toThrow(/^--trend must look like TAG@MINUTE/);
    }
  });

  test('the stream is offered as `generate -- posts`, keyed by post id, to posts.raw at 500/s', () => {
    const stream = hashtagsGenerator;
    expect(stream.defaultTopic).toBe(POSTS_TOPIC);
    expect(stream.defaultRate({})).toBe('500/s');
    const first = stream.events({ seed: 3, start: START, intervalMs: 2 }, {}, {}).next().value!;
    expect(first.key).toBe(JSON.parse(first.value).post_id);
  });
});
