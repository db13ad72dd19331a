import { describe, expect, test } from 'vitest';
import { MINUTE_MS, bucketStart } from '../../../common/time.ts';
import { COMMUNITIES, MEMBERSHIPS, community, parseMoodShift, type ActivityConfig } from '../activity.ts';
import { SENTENCES } from '../sentences.ts';
import { communityGenerator } from '../generator.ts';
import { analyzeText } from '../emotion.ts';
import {
  COMMUNITY,
  COMMUNITY_EVENTS_TOPIC,
  EMOTIONS,
  NEGATIVE_EMOTIONS,
  parseCommunityEvent,
  type CommunityEvent,
} from '../schema.ts';
import { reference } from './reference.ts';

const START = new Date('2026-11-20T08:00:00Z');

function take(count: number, overrides: Partial<ActivityConfig> = {}): CommunityEvent[] {
  const events: CommunityEvent[] = [];
  for (const event of community({ seed: 5, start: START, intervalMs: 20, ...overrides })) {
    events.push(event);
    if (events.length === count) break;
  }
  return events;
}

const events = take(20_000);

describe('the sentence bank', () => {
  test('has at least 300 distinct sentences across the seven moods', () => {
    const all = Object.values(SENTENCES).flat();
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(new Set(all).size).toBe(all.length);
    for (const emotion of EMOTIONS) expect(SENTENCES[emotion].length, emotion).toBeGreaterThanOrEqual(40);
  });

  test('the stream finds the mood a sentence was written in for at least 90 % of them, and for each mood most often', () => {
    let agreeing = 0;
    let total = 0;
    for (const emotion of EMOTIONS) {
      const found = SENTENCES[emotion].filter((sentence) => analyzeText(sentence).emotion === emotion).length;
      expect(found / SENTENCES[emotion].length, emotion).toBeGreaterThan(0.8);
      agreeing += found;
      total += SENTENCES[emotion].length;
    }
    expect(agreeing / total).toBeGreaterThan(0.9);
  });

  test('valence is in [-1, 1]: positive for joy, negative for anger, sadness and fear on average', () => {
    const mean = (emotion: (typeof EMOTIONS)[number]) =>
      SENTENCES[emotion].reduce((sum, text) => sum + analyzeText(text).valenceMilli, 0) /
      SENTENCES[emotion].length;
    expect(mean('joy')).toBeGreaterThan(200);
    for (const emotion of NEGATIVE_EMOTIONS) expect(mean(emotion), emotion).toBeLessThan(-100);
    for (const text of Object.values(SENTENCES).flat()) {
      const { valenceMilli } = analyzeText(text);
      expect(Math.abs(valenceMilli)).toBeLessThanOrEqual(1000);
    }
    expect(analyzeText('I am not happy').emotion).toBe('neutral');
  });
});

describe('the community generator', () => {
  test('is deterministic under a seed, and another seed gives other events', () => {
    expect(take(2000)).toEqual(events.slice(0, 2000));
    expect(take(2000, { seed: 6 })).not.toEqual(events.slice(0, 2000));
  });

  test('every event passes the strict decoder, spaced at the rate, keyed to a known community', () => {
    events.forEach((event, index) => {
      const decoded = parseCommunityEvent(JSON.stringify(event));
      expect(decoded.ok && decoded.value).toEqual(event);
      expect(Date.parse(event.event_time)).toBe(START.getTime() + index * 20);
      expect(COMMUNITIES).toContain(event.community);
    });
    expect(new Set(events.map((event) => event.event_id)).size).toBe(events.length);
  });

  test('a realistic mix: all kinds, a few hundred members logged in, sessions of minutes, no logout without login', () => {
    const kinds = new Map<string, number>();
    for (const event of events) kinds.set(event.kind, (kinds.get(event.kind) ?? 0) + 1);
    for (const kind of ['login', 'logout', 'post', 'like', 'share', 'comment']) {
      expect(kinds.get(kind), kind).toBeGreaterThan(500);
    }
    const facts = reference(events);
    expect(facts.loneLogouts).toEqual([]);
    // The last full window: logged in at its end, summed over the communities.
    const lastFull =
      bucketStart(Date.parse(events.at(-1)!.event_time), COMMUNITY.windowMs) - COMMUNITY.windowMs;
    const lastWindows = [...facts.windows.entries()].filter(
      ([key]) => Number(key.split('|')[1]) === lastFull,
    );
    const loggedIn = lastWindows.reduce((sum, [, window]) => sum + window.logged_in, 0);
    expect(loggedIn).toBeGreaterThan(250);
    expect(loggedIn).toBeLessThan(500);
    expect(new Set(events.map((event) => event.community)).size).toBeGreaterThan(30);
  });

  test('members act only in their own communities, and engagement refers to posts of the same community sent before', () => {
    const posts = new Map<string, string>();
    for (const event of events) {
      const member = Number(event.user_id.slice(2)) - 1;
      expect(MEMBERSHIPS[member]).toContain(event.community);
      if (event.kind === 'post') posts.set(event.post_id, event.community);
      if (event.kind === 'like' || event.kind === 'share' || event.kind === 'comment') {
        expect(posts.get(event.post_id)).toBe(event.community);
      }
    }
  });

  test('--mood-shift turns one community to one emotion from its minute on, and no other', () => {
    const shifted = take(20_000, { moodShift: parseMoodShift('chess:anger@2') });
    const shiftFrom = START.getTime() + 2 * MINUTE_MS;
    const emotionsOf = (list: CommunityEvent[], community: string, after: boolean) =>
      list
        .filter((event) => event.kind === 'post' && event.community === community)
        .filter((event) => Date.parse(event.event_time) >= shiftFrom === after)
        .map((event) => analyzeText((event as { text: string }).text).emotion);
    const chessAfter = emotionsOf(shifted, 'chess', true);
    expect(chessAfter.length).toBeGreaterThan(50);
    expect(chessAfter.filter((emotion) => emotion === 'anger').length / chessAfter.length).toBeGreaterThan(
      0.9,
    );
    const chessBefore = emotionsOf(shifted, 'chess', false);
    expect(chessBefore.filter((emotion) => emotion === 'anger').length / chessBefore.length).toBeLessThan(
      0.3,
    );
    const gardening = emotionsOf(shifted, 'gardening', true);
    expect(gardening.filter((emotion) => emotion === 'anger').length / gardening.length).toBeLessThan(0.3);
  });

  test('--mood-shift with a wrong value says what is wrong in one line', () => {
    expect(() => parseMoodShift('chess-anger')).toThrow(
      /^--mood-shift must look like COMMUNITY:EMOTION@MINUTE/,
    );
    expect(() => parseMoodShift('mars:anger@1')).toThrow(/--mood-shift community must be one of gardening,/);
    expect(() => parseMoodShift('chess:grumpy@1')).toThrow(/--mood-shift emotion must be one of joy,/);
    const community = communityGenerator;
    expect(() =>
      community.events({ seed: 1, start: START, intervalMs: 20 }, {}, { 'mood-shift': 'x' }),
    ).toThrow(/--mood-shift/);
  });

  test('the CLI entry: 50 events/s by default, keyed by community, to community.events', () => {
    const community = communityGenerator;
    expect(community.defaultRate({})).toBe('50/s');
    expect(community.defaultTopic).toBe(COMMUNITY_EVENTS_TOPIC);
    const first = community.events({ seed: 5, start: START, intervalMs: 20 }, {}).next();
    expect(first.done).toBe(false);
    expect(first.value).toEqual({ key: events[0]!.community, value: JSON.stringify(events[0]) });
  });
});
