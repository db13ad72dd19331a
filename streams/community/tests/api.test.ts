import { describe, expect, test } from 'vitest';
import {
  COMMUNITY_LIMITS,
  daysOf,
  mostEngaged,
  parseTopPostsParams,
  parseWindowsParams,
  topPostsAnswer,
  windowsAnswer,
} from '../api.ts';

const NOW = new Date('2026-11-20T12:00:00Z');

describe('community query parameters', () => {
  test('windows: community required and checked; the last hour by default; at most a day', () => {
    expect(parseWindowsParams({ community: 'chess' }, NOW)).toEqual({
      ok: true,
      value: { community: 'chess', from: new Date(NOW.getTime() - COMMUNITY_LIMITS.defaultRangeMs), to: NOW },
    });
    expect(parseWindowsParams({}, NOW)).toEqual({
      ok: false,
      reason: 'community: required, e.g. community=chess',
    });
    expect(parseWindowsParams({ community: 'a b' }, NOW)).toMatchObject({
      ok: false,
      reason: /^community: 1 to 64/,
    });
    expect(parseWindowsParams({ community: 'chess', from: '0', to: String(2 * 86_400_000) }, NOW)).toEqual({
      ok: false,
      reason: 'from/to: the range may span at most 24 hours',
    });
    expect(parseWindowsParams({ community: 'chess', limit: '3' }, NOW)).toMatchObject({
      ok: false,
      reason: 'limit: unknown parameter; this route takes only community, from, to',
    });
  });

  test('top posts: limit 1 to 100, 10 by default', () => {
    expect(parseTopPostsParams({ community: 'chess' }, NOW)).toMatchObject({
      ok: true,
      value: { limit: 10 },
    });
    expect(parseTopPostsParams({ community: 'chess', limit: '100' }, NOW)).toMatchObject({
      ok: true,
      value: { limit: 100 },
    });
    for (const limit of ['0', '101', 'ten', '1.5', '']) {
      expect(parseTopPostsParams({ community: 'chess', limit }, NOW), limit).toMatchObject({
        ok: false,
        reason: /^limit: an integer from 1 to 100/,
      });
    }
  });

  test('the day partitions of a range', () => {
    expect(daysOf({ from: new Date('2026-11-20T23:00:00Z'), to: new Date('2026-11-21T01:00:00Z') })).toEqual([
      new Date('2026-11-20T00:00:00Z'),
      new Date('2026-11-21T00:00:00Z'),
    ]);
  });
});

describe('community answers', () => {
  test('windows oldest first, with ISO times', () => {
    const row = (minute: number) => ({
      window_start: new Date(NOW.getTime() + minute * 60_000),
      logged_in: 1,
      logins: 0,
      posts: 0,
      likes: 0,
      shares: 0,
      comments: 0,
      valence_avg: null,
      joy: 0,
      trust: 0,
      anger: 0,
      sadness: 0,
      fear: 0,
      surprise: 0,
      neutral: 0,
    });
    expect(windowsAnswer([row(1), row(0)]).map((window) => window.window_start)).toEqual([
      '2026-11-20T12:00:00.000Z',
      '2026-11-20T12:01:00.000Z',
    ]);
  });

  test('most engaged: engagement summed over windows, ties by post id, with text and emotion (null when not stored)', () => {
    const ranked = mostEngaged(
      [
        { post_id: 'p-b', likes: 1, shares: 0, comments: 1 },
        { post_id: 'p-a', likes: 2, shares: 0, comments: 0 },
        { post_id: 'p-c', likes: 1, shares: 0, comments: 0 },
        { post_id: 'p-c', likes: 0, shares: 3, comments: 0 },
      ],
      2,
    );
    expect(ranked).toEqual([
      { post_id: 'p-c', likes: 1, shares: 3, comments: 0, engagement: 4 },
      { post_id: 'p-a', likes: 2, shares: 0, comments: 0, engagement: 2 },
    ]);
    const posts = new Map([
      [
        'p-c',
        {
          post_id: 'p-c',
          user_id: 'u-1',
          created_at: NOW,
          text: 'Wow',
          emotion: 'surprise' as const,
          valence: 0.8,
        },
      ],
    ]);
    expect(topPostsAnswer(ranked, posts)).toEqual([
      {
        rank: 1,
        ...ranked[0],
        user_id: 'u-1',
        created_at: NOW.toISOString(),
        text: 'Wow',
        emotion: 'surprise',
        valence: 0.8,
      },
      { rank: 2, ...ranked[1], user_id: null, created_at: null, text: null, emotion: null, valence: null },
    ]);
  });
});
