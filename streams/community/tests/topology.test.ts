import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { SECOND_MS } from '../../../common/time.ts';
import { TopologyTestDriver, type PipedRecord } from '../../../processor/dsl/driver.ts';
import { createCommunityTopology, loggedInAt } from '../topology.ts';
import { community } from '../activity.ts';
import { analyzeText } from '../emotion.ts';
import { COMMUNITY_EVENTS_TOPIC, type CommunityEvent, type CommunityTables } from '../schema.ts';
import { reference, type WindowFacts } from './reference.ts';

const TOPIC = COMMUNITY_EVENTS_TOPIC;
const START = Date.parse('2026-11-20T08:00:00.000Z');
const GRACE_MS = 10 * SECOND_MS;
const WINDOW_MS = 30 * SECOND_MS;

let sequence = 0;
function event(
  kind: CommunityEvent['kind'],
  user: string,
  time: number,
  extra: Record<string, string> = {},
  community = 'chess',
): CommunityEvent {
  sequence += 1;
  return {
    event_id: `e-${sequence}`,
    kind,
    community,
    user_id: user,
    event_time: new Date(time).toISOString(),
    ...extra,
  } as CommunityEvent;
}

const record = (value: CommunityEvent | string, partition = 0): PipedRecord => ({
  key: typeof value === 'string' ? 'x' : value.community,
  value: typeof value === 'string' ? value : JSON.stringify(value),
  partition,
});

function driver(partitions = 1) {
  const registry = new Registry();
  const topology = createCommunityTopology(registry, { graceMs: GRACE_MS, postRetentionMs: 3_600_000 });
  return { driver: new TopologyTestDriver<CommunityTables>(topology, { [TOPIC]: partitions }), registry };
}

type CommunityDriver = ReturnType<typeof driver>['driver'];

const windowRows = (run: CommunityDriver) =>
  new Map<string, WindowFacts>(
    run
      .rowsOf('windows')
      .map(({ community, day: _day, window_start, ...facts }) => [
        `${community}|${window_start.getTime()}`,
        facts,
      ]),
  );

/** An event far enough ahead to close every window before `time`. */
const closeBefore = (time: number) => event('login', 'u-clock', time + GRACE_MS, {}, 'clock');

describe('session state', () => {
  test('a member who logs in twice without logging out counts once, and one logout ends the session', () => {
    const { driver: run } = driver();
    run.pipe(TOPIC, [
      record(event('login', 'u-1', START + 1000)),
      record(event('login', 'u-1', START + 2000)),
      record(event('login', 'u-2', START + 3000)),
      record(event('logout', 'u-1', START + WINDOW_MS + 1000)),
      record(closeBefore(START + 2 * WINDOW_MS)),
    ]);
    const rows = windowRows(run);
    expect(rows.get(`chess|${START}`)).toMatchObject({ logged_in: 2, logins: 3 });
    expect(rows.get(`chess|${START + WINDOW_MS}`)).toMatchObject({ logged_in: 1, logins: 0 });
    expect(run.output(`${TOPIC}.dlq`)).toHaveLength(0);
  });

  test('a logout without a login is a dead letter with its reason and origin, and changes nothing', () => {
    const { driver: run } = driver();
    const lone = event('logout', 'u-9', START + 1000);
    run.pipe(TOPIC, [
      record(event('login', 'u-1', START)),
      record(lone),
      record(closeBefore(START + WINDOW_MS)),
    ]);
    const [letter] = run.output(`${TOPIC}.dlq`).map((output) => JSON.parse(output.value!));
    expect(letter.reason).toContain('logout without login: u-9 is not logged in to chess');
    expect(letter.origin).toMatchObject({ topic: TOPIC, partition: 0, offset: '1' });
    expect(windowRows(run).get(`chess|${START}`)).toMatchObject({ logged_in: 1, logins: 1 });
  });

  test('after a logout, a second logout is a dead letter too, also after a crash and restore', () => {
    const { driver: run } = driver();
    run.pipe(TOPIC, [record(event('login', 'u-1', START)), record(event('logout', 'u-1', START + 500))]);
    run.restart();
    run.pipe(TOPIC, [record(event('logout', 'u-1', START + 900))]);
    expect(run.output(`${TOPIC}.dlq`)).toHaveLength(1);
    run.pipe(TOPIC, [record(event('login', 'u-1', START + 1000))]);
    run.restart();
    run.pipe(TOPIC, [record(event('logout', 'u-1', START + 1100)), record(closeBefore(START + WINDOW_MS))]);
    expect(run.output(`${TOPIC}.dlq`)).toHaveLength(1);
    expect(windowRows(run).get(`chess|${START}`)).toMatchObject({ logged_in: 0, logins: 2 });
  });

  test('window boundaries: logged in at the end means logged in before it and not out before it', () => {
    const end = START + WINDOW_MS;
    const { driver: run } = driver();
    run.pipe(TOPIC, [
      record(event('login', 'u-before-end', end - 1)),
      record(event('login', 'u-out-at-end', START + 10)),
      record(event('logout', 'u-out-at-end', end)),
      record(event('login', 'u-out-before', START + 20)),
      record(event('logout', 'u-out-before', end - 1)),
      record(event('login', 'u-at-end', end)),
      record(closeBefore(end + WINDOW_MS)),
    ]);
    const rows = windowRows(run);
    expect(rows.get(`chess|${START}`)).toMatchObject({ logged_in: 2, logins: 3 });
    expect(rows.get(`chess|${end}`)).toMatchObject({ logged_in: 2, logins: 1 });
    expect(loggedInAt([START, end], end)).toBe(true);
    expect(loggedInAt([START, end - 1], end)).toBe(false);
    expect(loggedInAt([end], end)).toBe(false);
  });

  test('events out of order within the grace are placed by event time; a window is written once, when it closes', () => {
    const { driver: run } = driver();
    run.pipe(TOPIC, [
      record(event('login', 'u-1', START + WINDOW_MS + 2000)),
      record(event('login', 'u-2', START + 5000)),
      record(event('logout', 'u-2', START + WINDOW_MS + 1000)),
    ]);
    expect(windowRows(run).size).toBe(0);
    run.pipe(TOPIC, [record(event('login', 'u-3', START + WINDOW_MS + GRACE_MS))]);
    const first = windowRows(run).get(`chess|${START}`);
    expect(first).toMatchObject({ logged_in: 1, logins: 1 });
    run.pipe(TOPIC, [record(closeBefore(START + 3 * WINDOW_MS))]);
    expect(run.rowsOf('windows').filter((row) => row.community === 'chess')).toHaveLength(3);
    expect(windowRows(run).get(`chess|${START + WINDOW_MS}`)).toMatchObject({ logged_in: 2, logins: 2 });
  });

  test('a late event goes to the late topic and is not merged, not even into the session state', () => {
    const { driver: run } = driver();
    run.pipe(TOPIC, [
      record(event('login', 'u-1', START)),
      record(closeBefore(START + 2 * WINDOW_MS)),
      record(event('login', 'u-late', START + 1000)),
      record(event('logout', 'u-late', START + 2 * WINDOW_MS + 1000)),
    ]);
    const late = run.output(`${TOPIC}.late`).map((output) => JSON.parse(output.value!));
    expect(late).toHaveLength(1);
    expect(late[0].reason).toMatch(/^late: event time .* closed at/);
    expect(run.output(`${TOPIC}.dlq`)).toHaveLength(1);
    expect(windowRows(run).get(`chess|${START}`)).toMatchObject({ logged_in: 1, logins: 1 });
  });

  test('ended sessions and closed windows are evicted from the state', () => {
    const { driver: run } = driver();
    run.pipe(TOPIC, [
      record(event('login', 'u-1', START)),
      record(event('logout', 'u-1', START + 1000)),
      record(event('login', 'u-2', START + 2000)),
    ]);
    const before = run.stateSize(TOPIC);
    run.pipe(TOPIC, [record(closeBefore(START + 3 * WINDOW_MS))]);
    // u-2's session and the clock member's session and window remain; u-1 and the closed window went.
    expect(run.stateSize(TOPIC)).toBeLessThan(before + 2);
    expect(run.stateSize(TOPIC)).toBe(4);
  });
});

describe('posts, emotions and engagement', () => {
  test('a post is stored with its emotion; a window counts posts by emotion and averages their valence', () => {
    const { driver: run } = driver();
    const happy = 'I am so happy and delighted today!';
    const furious = 'I am furious, this is outrageous.';
    run.pipe(TOPIC, [
      record(event('login', 'u-1', START)),
      record(event('post', 'u-1', START + 100, { post_id: 'p-1', text: happy })),
      record(event('post', 'u-1', START + 200, { post_id: 'p-2', text: furious })),
      record(event('post', 'u-1', START + 300, { post_id: 'p-3', text: 'The bus leaves at nine.' })),
      record(closeBefore(START + WINDOW_MS)),
    ]);
    const posts = run.rowsOf('posts');
    expect(posts.map((post) => post.emotion)).toEqual(['joy', 'anger', 'neutral']);
    expect(posts[0]).toMatchObject({ post_id: 'p-1', community: 'chess', user_id: 'u-1', text: happy });
    const valences = [happy, furious, 'The bus leaves at nine.'].map(
      (text) => analyzeText(text).valenceMilli,
    );
    expect(valences[0]).toBeGreaterThan(0);
    expect(valences[1]).toBeLessThan(0);
    expect(windowRows(run).get(`chess|${START}`)).toMatchObject({
      posts: 3,
      joy: 1,
      anger: 1,
      neutral: 1,
      sadness: 0,
      valence_avg: (valences[0]! + valences[1]! + valences[2]!) / 3 / 1000,
    });
  });

  test('likes, shares and comments: per window per post, and absolute totals for posts the state saw posted', () => {
    const { driver: run } = driver();
    run.pipe(TOPIC, [
      record(event('post', 'u-1', START, { post_id: 'p-1', text: 'Hello all' })),
      record(event('like', 'u-2', START + 1, { post_id: 'p-1' })),
      record(event('like', 'u-3', START + 2, { post_id: 'p-old' })),
      record(event('share', 'u-2', START + WINDOW_MS, { post_id: 'p-1' })),
      record(event('comment', 'u-2', START + WINDOW_MS + 1, { post_id: 'p-1', text: 'So sad to read' })),
      record(closeBefore(START + 2 * WINDOW_MS)),
    ]);
    expect(run.rowsOf('post_engagement')).toEqual([
      expect.objectContaining({
        window_start: new Date(START),
        post_id: 'p-1',
        likes: 1,
        shares: 0,
        comments: 0,
      }),
      expect.objectContaining({ window_start: new Date(START), post_id: 'p-old', likes: 1 }),
      expect.objectContaining({
        window_start: new Date(START + WINDOW_MS),
        post_id: 'p-1',
        shares: 1,
        comments: 1,
      }),
    ]);
    expect(run.rowsOf('post_totals').at(-1)).toEqual({ post_id: 'p-1', likes: 1, shares: 1, comments: 1 });
    expect(run.rowsOf('post_totals').some((row) => row.post_id === 'p-old')).toBe(false);
    expect(windowRows(run).get(`chess|${START}`)).toMatchObject({ likes: 2, posts: 1 });
    expect(windowRows(run).get(`chess|${START + WINDOW_MS}`)).toMatchObject({ shares: 1, comments: 1 });
  });

  test('metrics count committed events, posts by community and emotion, and logged-in members', async () => {
    const { driver: run, registry } = driver();
    run.pipe(TOPIC, [
      record(event('login', 'u-1', START)),
      record(event('post', 'u-1', START + 1, { post_id: 'p-1', text: 'I am terrified and scared' })),
      record(closeBefore(START + WINDOW_MS)),
    ]);
    expect(await registry.getSingleMetricAsString('community_events_total')).not.toContain('kind="post"');
    run.commit();
    const text = await registry.metrics();
    expect(text).toContain('community_events_total{kind="post"} 1');
    expect(text).toContain('community_posts_total{community="chess",emotion="fear"} 1');
    expect(text).toContain('community_logged_in_users{community="chess"} 1');
    expect(text).toContain('community_text_valence_count{kind="post"} 1');
  });
});

describe('invalid events are dead letters with their reason', () => {
  test.each([
    ['not JSON', '{', 'invalid JSON'],
    [
      'an unknown kind',
      JSON.stringify({ ...event('login', 'u-1', START), kind: 'poke' }),
      'invalid field kind',
    ],
    [
      'a post without text',
      JSON.stringify({ ...event('post', 'u-1', START), post_id: 'p-1' }),
      'invalid field text: expected a non-empty string',
    ],
    ['a like without its post', JSON.stringify(event('like', 'u-1', START)), 'invalid field post_id'],
    [
      'a bad user id',
      JSON.stringify(event('login', 'u 1/..', START)),
      "invalid field user_id: expected letters, digits, '_', '.', ':' or '-'",
    ],
    [
      'an oversized text',
      JSON.stringify(event('post', 'u-1', START, { post_id: 'p-1', text: 'a'.repeat(1001) })),
      'invalid field text: longer than 1000 characters',
    ],
    [
      'an implausible event time',
      JSON.stringify({ ...event('login', 'u-1', START), event_time: '1970-01-01T00:00:00Z' }),
      'invalid field event_time',
    ],
  ])('%s', (_name, value, reason) => {
    const { driver: run } = driver();
    run.pipe(TOPIC, [record(value)]);
    const letters = run.output(`${TOPIC}.dlq`).map((output) => JSON.parse(output.value!));
    expect(letters).toHaveLength(1);
    expect(letters[0].reason).toContain(reason);
    expect(letters[0].origin.topic).toBe(TOPIC);
  });
});

test("the generator's events through the topology: every closed window follows the definitions, crash or not", () => {
  const events: CommunityEvent[] = [];
  for (const generated of community({ seed: 3, start: new Date(START), intervalMs: 20 })) {
    events.push(generated);
    if (events.length === 12_000) break;
  }
  const expected = reference(events);
  const partitionOf = (community: string) =>
    [...community].reduce((sum, char) => sum + char.charCodeAt(0), 0) % 3;
  const records = events.map((generated) => record(generated, partitionOf(generated.community)));
  const { driver: plain } = driver(3);
  plain.pipeInBatches(TOPIC, records, 700);
  const { driver: crashing } = driver(3);
  crashing.pipeInBatches(TOPIC, records, 700, { restartAfter: (batch) => batch % 3 === 0 });
  const last = Date.parse(events.at(-1)!.event_time);
  const closedBefore = last - GRACE_MS - WINDOW_MS;
  for (const run of [plain, crashing]) {
    const stored = windowRows(run);
    let compared = 0;
    for (const [key, facts] of expected.windows) {
      if (Number(key.split('|')[1]) + WINDOW_MS > closedBefore) continue;
      expect(stored.get(key), key).toEqual(facts);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(200);
    for (const [key, facts] of stored) expect(facts, key).toEqual(expected.windows.get(key));
  }
  expect(windowRows(crashing)).toEqual(windowRows(plain));
});
