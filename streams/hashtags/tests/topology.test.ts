import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { MINUTE_MS, SECOND_MS } from '../../../common/time.ts';
import { TopologyTestDriver, type PipedRecord } from '../../../processor/dsl/driver.ts';
import { baselineMinutes, createHashtagsTopology } from '../topology.ts';
import { mulberry32 } from '../../../generators/random.ts';
import {
  HASHTAG_USES_TOPIC,
  PLACE_POSTS_TOPIC,
  POSTS_TOPIC,
  TOP,
  TOP_CANDIDATES_TOPIC,
  TREND,
  type HashtagsTables,
  type Post,
} from '../schema.ts';
import { factsOf, hashtagMinutes, placeMinutes, topAt, totalsBefore, type PostFacts } from './reference.ts';

const START = Date.parse('2026-11-20T08:00:00.000Z');
const GRACE_MS = 10 * SECOND_MS;
const PLACES = [
  { city: 'Paris', country: 'FR', lat: 48.8534, lon: 2.3488 },
  { city: 'Lyon', country: 'FR', lat: 45.7485, lon: 4.8467 },
  { city: 'Tokyo', country: 'JP', lat: 35.6895, lon: 139.6917 },
  { city: 'Lagos', country: 'NG', lat: 6.4541, lon: 3.3947 },
];

function postRecord(post: Post, partition: number): PipedRecord {
  return { key: post.post_id, value: JSON.stringify(post), partition };
}

function makePost(id: string, time: number, text: string, place = PLACES[0]!): Post {
  return {
    post_id: id,
    user_id: 'u-1',
    text,
    lang: 'en',
    event_time: new Date(time).toISOString(),
    place,
  };
}

function driver(registry = new Registry()) {
  return new TopologyTestDriver<HashtagsTables>(createHashtagsTopology(registry, { graceMs: GRACE_MS }), {
    [POSTS_TOPIC]: 2,
  });
}

type HashtagsDriver = ReturnType<typeof driver>;

/** A seeded stream over `minutes`: 40 hashtags (skewed, mixed case), 4 places, a little disorder, one tag trending late. */
function syntheticPosts(seed: number, minutes = 25): { facts: PostFacts[]; records: PipedRecord[] } {
  const random = mulberry32(seed);
  const facts: PostFacts[] = [];
  const records: PipedRecord[] = [];
  for (let time = START, index = 0; time < START + minutes * MINUTE_MS; time += 200, index += 1) {
    const tags: string[] = [];
    const count = Math.floor(random() * 4);
    for (let tag = 0; tag < count; tag += 1) {
      const rank = Math.floor(40 * random() ** 2.5);
      tags.push(random() < 0.5 ? `#Tag${rank}` : `#tag${rank}`);
    }
    if (time > START + 20 * MINUTE_MS && random() < 0.3) tags.push('#Trend');
    // A little disorder inside the grace: up to 4 s back.
    const eventTime = time - Math.floor(random() * 4000);
    const post = makePost(
      `p-${index}`,
      eventTime,
      ['hello', ...tags].join(' '),
      PLACES[Math.floor(random() * PLACES.length)],
    );
    facts.push(factsOf(post));
    records.push(postRecord(post, index % 2));
  }
  return { facts, records };
}

describe('hashtags topology', () => {
  test('a post becomes one record per distinct normalised hashtag, keyed by it, and one keyed by its place', () => {
    const test = driver();
    test.pipe(POSTS_TOPIC, [
      postRecord(makePost('p-1', START, 'so #WorldCup #worldcup #Cafe\u0301 #café'), 0),
    ]);
    expect(test.output(HASHTAG_USES_TOPIC).map((record) => record.key)).toEqual(['worldcup', 'café']);
    expect(test.output(PLACE_POSTS_TOPIC).map((record) => record.key)).toEqual(['FR/Paris']);
    expect(JSON.parse(test.output(HASHTAG_USES_TOPIC)[0]!.value!)).toEqual({
      hashtag: 'worldcup',
      post_id: 'p-1',
      time: START,
      source_partition: 0,
      source_partitions: 2,
    });
  });

  test('a bad post becomes a dead letter with the reason and its origin', () => {
    const test = driver();
    test.pipe(POSTS_TOPIC, [
      postRecord(makePost('p-1', START, '#a #b #c #d #e #f'), 1),
      postRecord(makePost('p-2', START, 'hi', { city: 'X', country: 'XX', lat: 1, lon: 1 }), 1),
      { key: 'p-3', value: '{"post_id":', partition: 1 },
    ]);
    const letters = test.output(`${POSTS_TOPIC}.dlq`).map((record) => JSON.parse(record.value!));
    expect(letters.map((letter) => letter.reason)).toEqual([
      'too many hashtags: 6, at most 5',
      "invalid field place.country: unknown country code 'XX'",
      expect.stringMatching(/^invalid JSON/),
    ]);
    expect(letters[0].origin).toEqual({ topic: POSTS_TOPIC, partition: 1, offset: '0', key: 'p-1' });
    expect(test.output(HASHTAG_USES_TOPIC)).toEqual([]);
  });

  test('per-minute rows, totals, places and the merged top 10 of every step equal the definitions', () => {
    const { facts, records } = syntheticPosts(7);
    const test = driver();
    test.pipeInBatches(POSTS_TOPIC, records, 97);
    const end = START + 25 * MINUTE_MS - 4000;
    const closed = (minute: number) => minute + MINUTE_MS + GRACE_MS <= end;

    const stored = new Map(
      test.rowsOf('hashtag_minutes').map((row) => [`${row.hashtag}|${row.minute.getTime()}`, row.posts]),
    );
    const expected = hashtagMinutes(facts);
    let compared = 0;
    for (const [key, posts] of expected) {
      if (!closed(Number(key.split('|')[1]))) continue;
      expect(stored.get(key), key).toBe(posts);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(500);
    for (const [key, posts] of stored) expect(expected.get(key), key).toBe(posts);

    const places = new Map(
      test
        .rowsOf('place_minutes')
        .map((row) => [`${row.country}/${row.city}|${row.minute.getTime()}`, row.posts]),
    );
    const expectedPlaces = placeMinutes(facts);
    for (const [key, posts] of expectedPlaces) {
      if (closed(Number(key.split('|')[1]))) expect(places.get(key), key).toBe(posts);
    }
    for (const [key, posts] of places) expect(expectedPlaces.get(key), key).toBe(posts);
    expect(test.rowsOf('place_minutes').find((row) => row.city === 'Tokyo')).toMatchObject({
      lat: 35.6895,
      lon: 139.6917,
    });

    // The last total written per hashtag counts every closed minute.
    const totals = new Map(test.rowsOf('hashtag_totals').map((row) => [row.hashtag, row.posts]));
    const lastClosed = Math.max(...[...stored.keys()].map((key) => Number(key.split('|')[1]))) + MINUTE_MS;
    expect(totals).toEqual(totalsBefore(facts, lastClosed));

    const tops = new Map<number, HashtagsTables['top_hashtags'][]>();
    for (const row of test.rowsOf('top_hashtags')) {
      tops.set(row.step.getTime(), [...(tops.get(row.step.getTime()) ?? []), row]);
    }
    expect(tops.size).toBeGreaterThan(100);
    for (const [step, rows] of tops) {
      expect(
        rows.map(({ hashtag, posts }) => ({ hashtag, posts })),
        new Date(step).toISOString(),
      ).toEqual(topAt(facts, step));
      expect(rows.map((row) => row.rank)).toEqual(rows.map((_, index) => index + 1));
    }
  });

  test('restarting from the changelog after any batch gives exactly the rows of an uninterrupted run', () => {
    const { records } = syntheticPosts(11, 12);
    const uninterrupted = driver();
    uninterrupted.pipeInBatches(POSTS_TOPIC, records, 50);
    const restarted = driver();
    restarted.pipeInBatches(POSTS_TOPIC, records, 50, { restartAfter: (batch) => batch % 3 === 2 });
    const sorted = (target: HashtagsDriver) => target.rows.map((row) => JSON.stringify(row)).sort();
    expect(sorted(restarted)).toEqual(sorted(uninterrupted));
    expect(restarted.output(TOP_CANDIDATES_TOPIC)).toEqual(uninterrupted.output(TOP_CANDIDATES_TOPIC));
  });

  test('a hashtag far above its previous hour is the one trending above the alert ratio', async () => {
    const registry = new Registry();
    const test = driver(registry);
    const { records } = syntheticPosts(5, 25);
    test.pipeInBatches(POSTS_TOPIC, records, 200);
    test.commit();
    const ratios = (await registry.getSingleMetric('hashtags_trend_ratio')!.get()).values;
    expect(ratios.length).toBeLessThanOrEqual(TREND.reported);
    const above = ratios
      .filter((sample) => sample.value > TREND.alertRatio)
      .map((sample) => sample.labels['hashtag']);
    expect(above).toEqual(['trend']);
    const top = (await registry.getSingleMetric('hashtags_top_posts')!.get()).values;
    expect(top).toHaveLength(TOP.topN);
  });

  test('the baseline is the hour of whole minutes before the window, or what the stream saw of it (5 min at least)', () => {
    const step = START + 90 * MINUTE_MS + 30 * SECOND_MS;
    expect(baselineMinutes(step, START)).toEqual({
      from: START + 25 * MINUTE_MS,
      to: START + 85 * MINUTE_MS,
    });
    expect(baselineMinutes(step, START + 70 * MINUTE_MS)).toEqual({
      from: START + 70 * MINUTE_MS,
      to: START + 85 * MINUTE_MS,
    });
    expect(baselineMinutes(step, START + 81 * MINUTE_MS)).toBeUndefined();
  });

  test('a use later than the grace is set aside with its reason, and state holds only open windows and totals', () => {
    const test = driver();
    const posts = Array.from({ length: 3000 }, (_, index) =>
      postRecord(
        makePost(
          `p-${index}`,
          START + index * 500,
          `#t${index % 700} #all`,
          PLACES[Math.floor(index / 2) % 4],
        ),
        index % 2,
      ),
    );
    test.pipeInBatches(POSTS_TOPIC, posts, 300);
    test.pipe(POSTS_TOPIC, [postRecord(makePost('late', START + 5000, '#late'), 0)]);
    const late = test.output(`${HASHTAG_USES_TOPIC}.late`).map((record) => JSON.parse(record.value!));
    expect(late).toHaveLength(1);
    expect(late[0].reason).toMatch(/^late: event time 2026-11-20T08:00:05.000Z is in a 10 s window/);
    const busy = [0, 1, 2].reduce((sum, partition) => sum + test.stateSize(HASHTAG_USES_TOPIC, partition), 0);
    expect(busy).toBeGreaterThan(3000);
    // Two hours later, a few posts from every posts partition and place: everything before them
    // has closed and gone, but for one total per hashtag ever seen (702 of them).
    test.pipe(
      POSTS_TOPIC,
      [0, 1].flatMap((partition) =>
        PLACES.map((place, index) => {
          const tags = Array.from({ length: 5 }, (_, tag) => `#t${index * 5 + tag}`).join(' ');
          return postRecord(
            makePost(`later-${partition}-${index}`, START + 120 * MINUTE_MS, tags, place),
            partition,
          );
        }),
      ),
    );
    const after = [0, 1, 2].reduce(
      (sum, partition) => sum + test.stateSize(HASHTAG_USES_TOPIC, partition),
      0,
    );
    expect(after).toBeLessThanOrEqual(702 + 40 + 15);
    const places = [0, 1, 2].reduce(
      (sum, partition) => sum + test.stateSize(PLACE_POSTS_TOPIC, partition),
      0,
    );
    // The new minute's 4 places, their 4 positions, and 3 marks in each of the 2 partitions with places.
    expect(places).toBeLessThanOrEqual(4 + 4 + 2 * 3);
  });
});
