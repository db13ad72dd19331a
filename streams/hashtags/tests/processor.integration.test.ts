import { type ChildProcess } from 'node:child_process';
import { expect, test } from 'vitest';
import { HOUR_MS, SECOND_MS } from '../../../common/time.ts';
import { sampleValue } from '../../../common/exposition.ts';
import { HASHTAG_USES_TOPIC, PLACE_POSTS_TOPIC, POSTS_TOPIC } from '../schema.ts';
import {
  committedMessages,
  isolatedRun,
  metricsText,
  stopGracefully,
  testProducer,
  waitFor,
  inTopic,
} from '../../../tests/support/harness.ts';
import {
  expectTheHashtagsDefinitions,
  hashtagsDrained,
  postsWithClosing,
  startHashtagsProcessor,
  type GeneratedPosts,
} from './support.ts';

const COUNT = 50_000;
const LATE_POSTS = 20;
const SEED = 3;
/** What 50,000 posts give comfortably: a run that stored little fails. */
const ENOUGH_COMPARED = { hashtagMinutesMoreThan: 5_000, placeMinutesMoreThan: 500 };

/**
 * Posts two hours older than anything generated, later than any grace once the watermark has
 * moved on, and posts that are wrong: kept apart, counted nowhere.
 */
async function sendLateAndBadPosts(prefix: string, generated: GeneratedPosts): Promise<number> {
  const producer = testProducer();
  await producer.connect();
  const post = (index: number, overrides: Record<string, unknown>) => ({
    key: `odd-${index}`,
    value: JSON.stringify({
      post_id: `odd-${index}`,
      user_id: 'u-odd',
      text: `#late${index % 7} #oldnews`,
      lang: 'en',
      event_time: new Date(generated.start - 2 * HOUR_MS + index * SECOND_MS).toISOString(),
      place: { city: 'Paris', country: 'FR', lat: 48.8534, lon: 2.3488 },
      ...overrides,
    }),
  });
  await producer.send(
    inTopic(`${prefix}${POSTS_TOPIC}`, [
      ...Array.from({ length: LATE_POSTS }, (_, index) => post(index, {})),
      post(1000, { text: '#a #b #c #d #e #f' }),
      post(1001, { place: { city: 'Atlantis', country: 'XA', lat: 0, lon: 0 } }),
      post(1002, { place: { city: 'Paris', country: 'FR', lat: 48.8, lon: 200 } }),
      post(1003, { text: '' }),
      { key: 'odd-1004', value: 'not json' },
    ]),
  );
  await producer.disconnect();
  return 5;
}

test('generate -- posts --seed 3 --count 50000 --burst: every hashtag and place minute, the totals and the top 10 at three times follow the definitions; late and bad posts are kept apart', async () => {
  const { prefix, keyspace } = isolatedRun();
  const { generated, posts } = await postsWithClosing(prefix, { count: COUNT, seed: SEED });
  const bad = await sendLateAndBadPosts(prefix, generated);
  const processor = startHashtagsProcessor(prefix, keyspace, 19930, 'single');
  await waitFor(
    () => hashtagsDrained(prefix),
    (done) => done,
    300_000,
  );
  await expectTheHashtagsDefinitions(keyspace, generated, posts, ENOUGH_COMPARED);
  const metrics = await metricsText(19930);
  const records = (topic: string, outcome: string) =>
    sampleValue(metrics, 'processor_records_total', {
      pipeline: 'hashtags',
      topic: `${prefix}${topic}`,
      outcome,
    });
  // The late posts pass the split (it keeps no windows) and are late where they are counted.
  expect(records(POSTS_TOPIC, 'accepted')).toBe(posts.length + LATE_POSTS);
  expect(records(POSTS_TOPIC, 'rejected')).toBe(bad);
  expect(records(HASHTAG_USES_TOPIC, 'late')).toBe(2 * LATE_POSTS);
  expect(records(PLACE_POSTS_TOPIC, 'late')).toBe(LATE_POSTS);
  const letters = (await committedMessages(`${prefix}${POSTS_TOPIC}.dlq`, bad)).map(
    (text) => (JSON.parse(text) as { reason: string }).reason,
  );
  expect(letters.sort()).toEqual(
    [
      'too many hashtags: 6, at most 5',
      "invalid field place.country: unknown country code 'XA'",
      'invalid field place.lon: expected a number in [-180, 180]',
      'invalid field text: expected a non-empty string',
      expect.stringMatching(/^invalid JSON/),
    ].sort(),
  );
  const late = (await committedMessages(`${prefix}${HASHTAG_USES_TOPIC}.late`, 2 * LATE_POSTS)).map(
    (text) => JSON.parse(text) as { reason: string },
  );
  expect(late.every((letter) => letter.reason.startsWith('late: '))).toBe(true);
  expect(sampleValue(metrics, 'hashtags_top_steps_total', {})).toBeGreaterThan(10);
  expect(await stopGracefully(processor)).toBe(0);
}, 600_000);

test('two instances, each killed with SIGKILL three times at random moments and restarted: the same counts (no double count through the repartition topic)', async () => {
  const { prefix, keyspace } = isolatedRun();
  const { generated, posts } = await postsWithClosing(prefix, { count: COUNT, seed: SEED });
  const ports = { a: 19931, b: 19932 };
  // Small micro-batches: many transactions for a kill to interrupt, and work that outlasts the
  // kills' spacing however fast the processor gets (with the default, it drained before them).
  const start = (instance: 'a' | 'b') =>
    startHashtagsProcessor(prefix, keyspace, ports[instance], instance, {
      PROCESSOR_BATCH_MAX_RECORDS: '200',
    });
  const running: Record<'a' | 'b', ChildProcess> = { a: start('a'), b: start('b') };
  let killedMidRun = 0;
  for (let kill = 0; kill < 6; kill += 1) {
    const victim = kill % 2 === 0 ? 'a' : 'b';
    await new Promise((resolve) => setTimeout(resolve, 2000 + Math.floor(Math.random() * 3000)));
    if (!(await hashtagsDrained(prefix))) killedMidRun += 1;
    running[victim].kill('SIGKILL');
    await new Promise((resolve) => running[victim].once('exit', resolve));
    running[victim] = start(victim);
  }
  // The kills are worth something only while there is work in flight.
  expect(killedMidRun).toBeGreaterThanOrEqual(3);
  await waitFor(
    () => hashtagsDrained(prefix),
    (done) => done,
    300_000,
  );
  await expectTheHashtagsDefinitions(keyspace, generated, posts, ENOUGH_COMPARED);
  expect(await stopGracefully(running.a)).toBe(0);
  expect(await stopGracefully(running.b)).toBe(0);
}, 900_000);
