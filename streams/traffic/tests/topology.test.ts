import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { MINUTE_MS, SECOND_MS } from '../../../common/time.ts';
import { TopologyTestDriver, type PipedRecord } from '../../../processor/dsl/driver.ts';
import { createTrafficTopology, surgeAt, surgingSince } from '../topology.ts';
import { mulberry32 } from '../../../generators/random.ts';
import { BUSINESS_MINUTE_SHARDS, businessShard, SURGE, type TrafficTables } from '../schema.ts';
import { topAt, viewsPerMinute, type View } from './reference.ts';

const PAGEVIEWS = 'traffic.pageviews';
const START = Date.parse('2026-11-20T08:00:00.000Z');
const GRACE_MS = 10 * SECOND_MS;

function pageView(business: string, time: number, partition: number, id: string): PipedRecord {
  const value = {
    request_id: id,
    business_id: business,
    event_time: new Date(time).toISOString(),
    platform: 'web',
    path: '/',
  };
  return { key: business, value: JSON.stringify(value), partition };
}

function driver(partitions = 2) {
  return new TopologyTestDriver<TrafficTables>(createTrafficTopology(new Registry(), { graceMs: GRACE_MS }), {
    [PAGEVIEWS]: partitions,
  });
}

type TrafficDriver = ReturnType<typeof driver>;
type TopRow = TrafficTables['top_surges'];

const minuteRows = (target: TrafficDriver) =>
  new Map(
    target.rowsOf('business_minutes').map((row) => [`${row.business_id}|${row.minute.getTime()}`, row.views]),
  );

function topsByStep(target: TrafficDriver): Map<number, TopRow[]> {
  const tops = new Map<number, TopRow[]>();
  for (const row of target.rowsOf('top_surges')) {
    tops.set(row.step.getTime(), [...(tops.get(row.step.getTime()) ?? []), row]);
  }
  return tops;
}

/** A seeded stream over 25 minutes: 60 businesses in 2 partitions, a few surging, a little disorder. */
function syntheticViews(seed: number): { views: View[]; records: PipedRecord[] } {
  const random = mulberry32(seed);
  const views: View[] = [];
  const records: PipedRecord[] = [];
  for (let time = START, index = 0; time < START + 25 * MINUTE_MS; time += 150, index += 1) {
    const business =
      random() < 0.3
        ? `b-${String(Math.floor(random() * 3)).padStart(2, '0')}`
        : `b-${String(3 + Math.floor(random() * 57)).padStart(2, '0')}`;
    const surging = time > START + 17 * MINUTE_MS && time < START + 20 * MINUTE_MS && random() < 0.4;
    const chosen = surging ? 'b-42' : business;
    // A little disorder inside the grace: up to 4 s back.
    const eventTime = time - Math.floor(random() * 4000);
    const partition = Number(chosen.slice(2)) % 2;
    views.push({ business_id: chosen, time: eventTime });
    records.push(pageView(chosen, eventTime, partition, `r-${index}`));
  }
  return { views, records };
}

describe('traffic topology', () => {
  test('a minute is written once, as an absolute count, when stream time passes its end plus the grace', () => {
    const test = driver(1);
    test.pipe(PAGEVIEWS, [
      pageView('b-1', START + 1_000, 0, 'r1'),
      pageView('b-1', START + 59_000, 0, 'r2'),
      pageView('b-2', START + 52_000, 0, 'r3'),
      pageView('b-1', START + MINUTE_MS + 5_000, 0, 'r4'),
    ]);
    expect(test.rowsOf('business_minutes')).toEqual([]);
    // Inside the grace: still merged into the first minute.
    test.pipe(PAGEVIEWS, [
      pageView('b-2', START + 50_000, 0, 'r5'),
      pageView('b-3', START + MINUTE_MS + 9_999, 0, 'r6'),
    ]);
    expect(minuteRows(test).size).toBe(0);
    test.pipe(PAGEVIEWS, [pageView('b-3', START + MINUTE_MS + GRACE_MS, 0, 'r7')]);
    expect(minuteRows(test)).toEqual(
      new Map([
        [`b-1|${START}`, 2],
        [`b-2|${START}`, 2],
      ]),
    );
    const [row] = test.rowsOf('business_minutes');
    expect(row).toMatchObject({
      hour: new Date('2026-11-20T08:00:00.000Z'),
      shard: businessShard(row!.business_id),
    });
  });

  test('a view later than the grace is set aside with its reason and origin, and merged nowhere', () => {
    const test = driver(1);
    test.pipe(PAGEVIEWS, [pageView('b-1', START, 0, 'r1'), pageView('b-1', START + 2 * MINUTE_MS, 0, 'r2')]);
    test.pipe(PAGEVIEWS, [pageView('b-9', START + 5_000, 0, 'late-1')]);
    const [late] = test.output(`${PAGEVIEWS}.late`);
    expect(JSON.parse(late!.value!)).toMatchObject({
      reason: expect.stringMatching(/^late: event time 2026-11-20T08:00:05.000Z is in a 10 s window/),
      origin: { topic: PAGEVIEWS, partition: 0, offset: '2', key: 'b-9' },
    });
    test.pipe(PAGEVIEWS, [pageView('b-1', START + 4 * MINUTE_MS, 0, 'r3')]);
    expect([...minuteRows(test).keys()].some((key) => key.startsWith('b-9'))).toBe(false);
  });

  test('a bad page view becomes a dead letter naming the field', () => {
    const test = driver(1);
    test.pipe(PAGEVIEWS, [
      {
        key: 'x',
        value: JSON.stringify({
          request_id: 'r',
          business_id: 'b',
          event_time: 'noon',
          platform: 'web',
          path: '/',
        }),
      },
    ]);
    expect(JSON.parse(test.output(`${PAGEVIEWS}.dlq`)[0]!.value!).reason).toMatch(
      /^invalid field event_time/,
    );
  });

  test('per-minute rows and the merged top 10 of every step equal the definitions computed from the views', () => {
    const { views, records } = syntheticViews(7);
    const test = driver(2);
    test.pipeInBatches(PAGEVIEWS, records, 97);
    const expectedMinutes = viewsPerMinute(views);
    const stored = minuteRows(test);
    // Every minute that has closed (all but the last) is there, exactly.
    for (const [key, count] of expectedMinutes) {
      const minute = Number(key.split('|')[1]);
      if (minute + MINUTE_MS + GRACE_MS <= START + 25 * MINUTE_MS - 4000)
        expect(stored.get(key), key).toBe(count);
    }
    expect([...stored.keys()].every((key) => expectedMinutes.has(key))).toBe(true);

    const tops = topsByStep(test);
    expect(tops.size).toBeGreaterThan(100);
    for (const [step, rows] of tops) {
      expect(
        rows.map(({ business_id, views_60s, trailing_avg, surge }) => ({
          business_id,
          views_60s,
          trailing_avg,
          surge,
        })),
      ).toEqual(topAt(views, step));
      expect(rows.map((row) => row.rank)).toEqual(rows.map((_, index) => index + 1));
    }
    // The surge is on top while it lasts.
    expect(tops.get(START + 19 * MINUTE_MS)![0]!.business_id).toBe('b-42');
  });

  test('restarting from the changelog after any batch gives exactly the rows of an uninterrupted run', () => {
    const { records } = syntheticViews(11);
    const uninterrupted = driver(2);
    uninterrupted.pipeInBatches(PAGEVIEWS, records, 50);
    const restarted = driver(2);
    restarted.pipeInBatches(PAGEVIEWS, records, 50, { restartAfter: (batch) => batch % 3 === 2 });
    // Rows are upserts: their order within a batch does not matter, their content does.
    const sorted = (target: TrafficDriver) => target.rows.map((row) => JSON.stringify(row)).sort();
    expect(sorted(restarted)).toEqual(sorted(uninterrupted));
    expect(restarted.output('traffic.surge-candidates')).toEqual(
      uninterrupted.output('traffic.surge-candidates'),
    );
  });

  test('state holds only what open windows need: closed buckets are evicted', () => {
    const test = driver(1);
    const records = Array.from({ length: 5000 }, (_, index) =>
      pageView(`b-${index % 2000}`, START + index * 100, 0, `r${index}`),
    );
    test.pipeInBatches(PAGEVIEWS, records, 500);
    const busy = test.stateSize(PAGEVIEWS);
    expect(busy).toBeGreaterThan(1000);
    // An hour later, one view: everything before it has closed and gone.
    test.pipe(PAGEVIEWS, [pageView('b-1', START + 60 * MINUTE_MS, 0, 'later')]);
    expect(test.stateSize(PAGEVIEWS)).toBeLessThan(10);
  });

  test('a business surges since the first step of its current run above the alert ratio in the top 10', () => {
    const entry = (business_id: string, surge: number) => ({
      business_id,
      views_60s: 10,
      trailing_avg: 1,
      surge,
    });
    const first = surgingSince([entry('a', 6), entry('b', 3)], 1000, new Map());
    expect(first).toEqual(new Map([['a', 1000]]));
    const second = surgingSince([entry('a', 7), entry('b', 5.5)], 2000, first);
    expect(second).toEqual(
      new Map([
        ['a', 1000],
        ['b', 2000],
      ]),
    );
    // Below the ratio, or out of the top 10: the run is over.
    expect(surgingSince([entry('b', 4)], 3000, second)).toEqual(new Map());
  });

  test('top rows carry when each surging business began, so the alert can ask for two minutes on end', () => {
    const { records } = syntheticViews(7);
    const test = driver(2);
    test.pipeInBatches(PAGEVIEWS, records, 97);
    const tops = topsByStep(test);
    const leaderAt = (minutes: number) => tops.get(START + minutes * MINUTE_MS)![0]!;
    // b-42 surges from minute 17 to 20: by minute 19.5 it has been above 5x for over two minutes.
    const late = leaderAt(19.5);
    expect(late.business_id).toBe('b-42');
    expect(late.surging_since).not.toBeNull();
    expect(START + 19.5 * MINUTE_MS - late.surging_since!.getTime()).toBeGreaterThanOrEqual(SURGE.alertForMs);
    for (const rows of tops.values()) {
      for (const row of rows)
        expect(row.surging_since === null, row.business_id).toBe(row.surge <= SURGE.alertRatio);
    }
  });

  test('a business needs 5 views in the last 60 s to rank; its trailing average is per minute', () => {
    const step = START + 20 * MINUTE_MS;
    const buckets = [step - 10 * MINUTE_MS, 30, step - 20_000, 4];
    expect(surgeAt('b', buckets, step)).toBeUndefined();
    buckets[3] = 6;
    expect(surgeAt('b', buckets, step)).toEqual({
      business_id: 'b',
      views_60s: 6,
      trailing_avg: 2,
      surge: 3,
    });
    expect(SURGE.topN).toBe(10);
  });
});

describe('business_minutes shards', () => {
  test('FNV-1a of the id modulo the shard count: fixed values, so stored rows stay findable', () => {
    // FNV-1a 32-bit: "" is 0x811c9dc5, "a" is 0xe40c292c.
    expect(businessShard('')).toBe(0x811c9dc5 % BUSINESS_MINUTE_SHARDS);
    expect(businessShard('a')).toBe(0xe40c292c % BUSINESS_MINUTE_SHARDS);
  });

  test('spreads ids over every shard, each within a quarter of an even share', () => {
    const counts = new Array<number>(BUSINESS_MINUTE_SHARDS).fill(0);
    for (let id = 0; id < 64_000; id += 1) counts[businessShard(`b-${id}`)]! += 1;
    const even = 64_000 / BUSINESS_MINUTE_SHARDS;
    expect(Math.min(...counts)).toBeGreaterThan(even * 0.75);
    expect(Math.max(...counts)).toBeLessThan(even * 1.25);
  });
});
