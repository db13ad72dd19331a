import { expect, test } from 'vitest';
import { sampleValue } from '../../../common/exposition.ts';
import { caughtUp, committedRecords } from '../../../tests/support/groups.ts';
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
  expectTheCommunityDefinitions,
  generateActivity,
  startCommunityProcessor,
  type GeneratedActivity,
} from './support.ts';

const COUNT = 20_000;
const SEED = 5;
/** What 20,000 events give comfortably: a run that stored little fails. */
const ENOUGH_COMPARED = { windowsMoreThan: 300, totalsMoreThan: 1000 };

/** Three records the stream must dead-letter: a logout without a login, a text too long, no JSON. */
async function sendInvalidEvents(topic: string, activity: GeneratedActivity): Promise<void> {
  const producer = testProducer();
  await producer.connect();
  const at = new Date(activity.end).toISOString();
  const base = { community: 'chess', event_time: at };
  await producer.send(
    inTopic(topic, [
      {
        key: 'chess',
        value: JSON.stringify({ ...base, event_id: 'x-1', kind: 'logout', user_id: 'u-nobody' }),
      },
      {
        key: 'chess',
        value: JSON.stringify({
          ...base,
          event_id: 'x-2',
          kind: 'post',
          user_id: 'u-00001',
          post_id: 'p-x',
          text: 'long '.repeat(300),
        }),
      },
      { key: 'chess', value: '{"kind": "login",' },
    ]),
  );
  await producer.disconnect();
}

test('20,000 generated events (seed 5): every window row, post and engagement follows the definitions; bad events are dead letters', async () => {
  const { prefix, keyspace } = isolatedRun();
  const topic = `${prefix}community.events`;
  const activity = generateActivity(topic, COUNT, SEED);
  await sendInvalidEvents(topic, activity);
  const processor = startCommunityProcessor(prefix, keyspace, 19900, 'single');
  const groupId = `${prefix}processor-community`;
  await waitFor(
    () => caughtUp(groupId, [topic]),
    (done) => done,
    240_000,
  );
  await expectTheCommunityDefinitions(keyspace, activity, ENOUGH_COMPARED);

  const letters = (await committedMessages(`${topic}.dlq`, 3)).map(
    (text) => JSON.parse(text) as { reason: string; origin: { topic: string } },
  );
  expect(letters.map((letter) => letter.reason).sort()).toEqual([
    expect.stringMatching(/^invalid JSON/),
    expect.stringMatching(/^invalid field text: longer than 1000 characters/),
    expect.stringMatching(/logout without login: u-nobody is not logged in to chess/),
  ]);
  expect(letters.every((letter) => letter.origin.topic === topic)).toBe(true);

  const metrics = await metricsText(19900);
  expect(
    sampleValue(metrics, 'processor_records_total', { pipeline: 'community', topic, outcome: 'accepted' }),
  ).toBe(COUNT);
  expect(
    sampleValue(metrics, 'processor_records_total', { pipeline: 'community', topic, outcome: 'rejected' }),
  ).toBe(3);
  const posts = activity.events.filter((event) => event.kind === 'post').length;
  expect(sampleValue(metrics, 'community_events_total', { kind: 'post' })).toBe(posts);
  expect(sampleValue(metrics, 'community_text_valence_count', { kind: 'post' })).toBe(posts);
  expect(sampleValue(metrics, 'community_logged_in_users', { community: 'gardening' })).toBeGreaterThan(0);
  expect(await stopGracefully(processor)).toBe(0);
}, 400_000);

test('the same events with the processor killed by SIGKILL three times at random moments: identical rows', async () => {
  const { prefix, keyspace } = isolatedRun();
  const topic = `${prefix}community.events`;
  const activity = generateActivity(topic, COUNT, SEED);
  const groupId = `${prefix}processor-community`;
  // Small batches: many transactions, so that a kill lands between some and inside others.
  const start = () =>
    startCommunityProcessor(prefix, keyspace, 19901, 'killed', { PROCESSOR_BATCH_MAX_RECORDS: '100' });
  let processor = start();
  // Three random moments of the work: when the committed offsets pass random points between
  // 10 % and 80 % of the topic, watched closely so that each kill lands while work is left.
  const killAt = Array.from({ length: 3 }, () => Math.floor(COUNT * (0.1 + Math.random() * 0.7))).sort(
    (a, b) => a - b,
  );
  let killedMidRun = 0;
  for (const point of killAt) {
    const deadline = Date.now() + 180_000;
    while ((await committedRecords(groupId, topic)) < point && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!(await caughtUp(groupId, [topic]))) killedMidRun += 1;
    const exited = new Promise((resolve) => processor.once('exit', resolve));
    processor.kill('SIGKILL');
    await exited;
    processor = start();
  }
  expect(killedMidRun).toBe(3);
  await waitFor(
    () => caughtUp(groupId, [topic]),
    (done) => done,
    240_000,
  );
  await expectTheCommunityDefinitions(keyspace, activity, ENOUGH_COMPARED);
  expect(await stopGracefully(processor)).toBe(0);
}, 600_000);
