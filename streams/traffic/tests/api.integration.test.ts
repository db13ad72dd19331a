import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CassandraStore } from '../../../common/cassandra.ts';
import { HOUR_MS, MINUTE_MS, bucketOf, bucketStart } from '../../../common/time.ts';
import { projectRoot } from '../../../services/config.ts';
import { businessShard, type Business, type TrafficTables } from '../schema.ts';
import { startProgram, stopGracefully, waitFor } from '../../../tests/support/harness.ts';
import { cassandraContactPoint, uniqueName } from '../../../tests/support/services.ts';

const PORT = 19731;
const trafficKeyspace = uniqueName('traffic_api');
const harmonyKeyspace = uniqueName('traffic_api_harmony');
const store = new CassandraStore({
  contactPoints: [cassandraContactPoint],
  localDataCenter: 'datacenter1',
  keyspace: trafficKeyspace,
});
let batch: ChildProcess;

const at = (iso: string) => new Date(iso);

async function api(pathAndQuery: string) {
  const response = await fetch(`http://127.0.0.1:${PORT}/api${pathAndQuery}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const insert = (query: string, params: unknown[]) =>
  store.client.execute(`INSERT INTO ${trafficKeyspace}.${query}`, params, { prepare: true });

beforeAll(async () => {
  await store.connect();
  // The traffic keyspace does not exist yet: the service must start and serve all the same.
  batch = startProgram(
    'batch/cli.ts',
    {
      CASSANDRA_KEYSPACE_HARMONY: harmonyKeyspace,
      CASSANDRA_KEYSPACE_TRAFFIC: trafficKeyspace,
      BATCH_HTTP_PORT: String(PORT),
    },
    'traffic-api-batch.log',
  );
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${PORT}/readyz`)).status,
    (status) => status === 200,
    120_000,
  );
}, 180_000);

afterAll(async () => {
  if (batch !== undefined) await stopGracefully(batch);
  for (const keyspace of [trafficKeyspace, harmonyKeyspace]) {
    await store.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  }
  await store.shutdown();
}, 120_000);

const businesses: Business[] = [
  { business_id: 'b-1', name: 'Alpha', category: 'cafe', city: 'Lyon', country: 'FR', lat: 45.76, lon: 4.84 },
  {
    business_id: 'b-2',
    name: 'Beta',
    category: 'books',
    city: 'Porto',
    country: 'PT',
    lat: 41.15,
    lon: -8.61,
  },
  { business_id: 'b-3', name: 'Gamma', category: 'bar', city: 'Gent', country: 'BE', lat: 51.05, lon: 3.72 },
];
/** A business's name and place as the surges answer them: null while it is not in the catalogue. */
const place = (id: string) => {
  const business = businesses.find((known) => known.business_id === id);
  return {
    name: business?.name ?? null,
    category: business?.category ?? null,
    city: business?.city ?? null,
    country: business?.country ?? null,
    lat: business?.lat ?? null,
    lon: business?.lon ?? null,
  };
};

type Surge = Omit<TrafficTables['top_surges'], 'hour'>;
const surge = (step: string, rank: number, business_id: string, views_60s: number, trailing_avg: number) => ({
  step: at(step),
  rank,
  business_id,
  views_60s,
  trailing_avg,
  surge: views_60s / Math.max(trailing_avg, 1),
  surging_since: views_60s / Math.max(trailing_avg, 1) > 5 ? at('2026-03-01T09:58:00Z') : null,
});
const recentStep = new Date(bucketStart(Date.now() - 30_000, 10_000));
const surges: Surge[] = [
  // The newest step of hour 09:00, read when hour 10:00 has nothing at or before `at`.
  surge('2026-03-01T09:59:50Z', 1, 'b-2', 90, 3),
  surge('2026-03-01T09:59:50Z', 2, 'b-1', 40, 2.5),
  surge('2026-03-01T09:59:50Z', 3, 'b-4', 12, 0.5), // not in the catalogue
  surge('2026-03-01T09:59:40Z', 1, 'b-1', 30, 2),
  surge('2026-03-01T09:59:40Z', 2, 'b-3', 8, 1.25),
  surge('2026-03-01T10:30:00Z', 1, 'b-3', 20, 4),
  { ...surge('2026-03-01T00:00:00Z', 1, 'b-3', 6, 1), step: recentStep },
];

/** business_minutes rows: `views(k)` views at the k-th minute from `first`, minutes where it is undefined absent. */
function minutes(businessId: string, first: string, count: number, views: (k: number) => number | undefined) {
  return Array.from({ length: count }, (_, k) => ({
    business_id: businessId,
    minute: new Date(at(first).getTime() + k * MINUTE_MS),
    views: views(k),
  })).filter((row): row is { business_id: string; minute: Date; views: number } => row.views !== undefined);
}
const views = [
  // b-1: 09:40 to 10:10, a few minutes without views (no row).
  ...minutes('b-1', '2026-03-01T09:40:00Z', 31, (k) => (k % 5 === 3 ? undefined : ((k * 7) % 11) + 1)),
  // b-2: 23:40 to 00:10 across midnight, so across two day partitions; k + 1 views at the k-th.
  ...minutes('b-2', '2026-03-01T23:40:00Z', 31, (k) => k + 1),
];

/** The trailing averages by their definition, straight from the rows inserted. */
function expectedMinutes(businessId: string, from: Date, to: Date) {
  const rows = views.filter((row) => row.business_id === businessId);
  return rows
    .filter((row) => row.minute >= from && row.minute < to)
    .sort((a, b) => a.minute.getTime() - b.minute.getTime())
    .map((row) => {
      const m = row.minute.getTime();
      const trailing = rows
        .filter(
          (earlier) =>
            earlier.minute.getTime() >= m - 16 * MINUTE_MS && earlier.minute.getTime() < m - MINUTE_MS,
        )
        .reduce((sum, earlier) => sum + earlier.views, 0);
      return { minute: row.minute.toISOString(), views: row.views, trailing_avg: trailing / 15 };
    });
}

test('before the processor created the traffic tables: the routes answer 503 with the reason, the rest serves', async () => {
  for (const route of ['/traffic/surges', '/traffic/businesses/b-1/views']) {
    const { status, body } = await api(route);
    expect(status, route).toBe(503);
    expect(body['error'], route).toMatch(
      new RegExp(`^the traffic tables are not there yet \\(missing in keyspace ${trafficKeyspace}: `),
    );
  }
  expect((await api('/traffic/surges?at=soon')).status).toBe(400);
  expect((await api('/leaderboard')).status).toBe(200);
  const listing = (await api('')).body['endpoints'] as string[];
  expect(listing.filter((line) => line.startsWith('GET /api/traffic/'))).toHaveLength(2);
  expect(listing.length).toBeGreaterThan(2);
});

test('surges and views once the tables exist, as defined', async () => {
  await store.applySchema(path.join(projectRoot, 'streams/traffic/schema.cql'), 'traffic');
  for (const business of businesses) {
    await insert(
      'businesses (business_id, name, category, city, country, lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [...Object.values(business)],
    );
  }
  for (const row of surges) {
    await insert(
      'top_surges (hour, step, rank, business_id, views_60s, trailing_avg, surge, surging_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        bucketOf(row.step, HOUR_MS),
        row.step,
        row.rank,
        row.business_id,
        row.views_60s,
        row.trailing_avg,
        row.surge,
        row.surging_since,
      ],
    );
  }
  for (const row of views) {
    await insert('business_minutes (hour, shard, business_id, minute, views) VALUES (?, ?, ?, ?, ?)', [
      bucketOf(row.minute, HOUR_MS),
      businessShard(row.business_id),
      row.business_id,
      row.minute,
      row.views,
    ]);
  }

  const answerOf = (step: string) => ({
    step: at(step).toISOString(),
    surges: surges
      .filter((row) => row.step.getTime() === at(step).getTime())
      .map(({ rank, business_id, views_60s, trailing_avg, surge, surging_since }) => ({
        rank,
        business_id,
        ...place(business_id),
        views_60s,
        trailing_avg,
        surge,
        surging_since: surging_since?.toISOString() ?? null,
      })),
  });
  // Hour 10:00 holds only a later step: the answer is the newest step of hour 09:00.
  expect(await api('/traffic/surges?at=2026-03-01T10:20:00Z')).toEqual({
    status: 200,
    body: answerOf('2026-03-01T09:59:50Z'),
  });
  expect((await api('/traffic/surges?at=2026-03-01T10:20:00Z')).body['surges']).toMatchObject([
    { rank: 1, business_id: 'b-2', name: 'Beta', city: 'Porto', surge: 30 },
    { rank: 2, business_id: 'b-1', name: 'Alpha', surge: 16 },
    { rank: 3, business_id: 'b-4', name: null, lat: null, surge: 12 },
  ]);
  // At or before `at`: a step at exactly `at` counts, a step after it does not.
  expect((await api(`/traffic/surges?at=${at('2026-03-01T09:59:45Z').getTime()}`)).body).toEqual(
    answerOf('2026-03-01T09:59:40Z'),
  );
  expect((await api('/traffic/surges?at=2026-03-01T10:30:00Z')).body).toEqual(
    answerOf('2026-03-01T10:30:00Z'),
  );
  expect((await api('/traffic/surges?at=2026-03-01T11:30:00%2B01:00')).body).toEqual(
    answerOf('2026-03-01T10:30:00Z'),
  );
  // The look-back reads at most the 24 hour partitions before the one of `at`.
  expect((await api('/traffic/surges?at=2026-03-02T10:59:59.999Z')).body).toEqual(
    answerOf('2026-03-01T10:30:00Z'),
  );
  expect(await api('/traffic/surges?at=2026-03-02T11:00:00Z')).toEqual({
    status: 200,
    body: { step: null, surges: [] },
  });
  expect((await api('/traffic/surges?at=2026-03-01T09:00:00Z')).body).toEqual({ step: null, surges: [] });
  // Without `at`: now.
  expect((await api('/traffic/surges')).body).toEqual({
    step: recentStep.toISOString(),
    surges: [
      {
        rank: 1,
        business_id: 'b-3',
        ...place('b-3'),
        views_60s: 6,
        trailing_avg: 1,
        surge: 6,
        surging_since: '2026-03-01T09:58:00.000Z',
      },
    ],
  });

  // Views: the first minutes' trailing averages come from rows before `from`.
  const from = at('2026-03-01T10:00:00Z');
  const to = at('2026-03-01T10:05:00Z');
  const b1 = await api(`/traffic/businesses/b-1/views?from=${from.toISOString()}&to=${to.getTime()}`);
  expect(b1).toEqual({
    status: 200,
    body: { business_id: 'b-1', name: 'Alpha', minutes: expectedMinutes('b-1', from, to) },
  });
  expect((b1.body['minutes'] as { minute: string }[]).map((minute) => minute.minute.slice(11, 16))).toEqual([
    '10:00',
    '10:01',
    '10:02',
    '10:04',
  ]);
  // Across midnight, by hand: 00:00 trails over 23:44..23:58 (5 + ... + 19 = 180), 00:01 over 23:45..23:59.
  expect(
    (await api('/traffic/businesses/b-2/views?from=2026-03-02T00:00:00Z&to=2026-03-02T00:02:00Z')).body,
  ).toEqual({
    business_id: 'b-2',
    name: 'Beta',
    minutes: [
      { minute: '2026-03-02T00:00:00.000Z', views: 21, trailing_avg: 12 },
      { minute: '2026-03-02T00:01:00.000Z', views: 22, trailing_avg: 13 },
    ],
  });
  const wholeB2 = { from: at('2026-03-01T23:30:00Z'), to: at('2026-03-02T00:30:00Z') };
  expect(
    (await api(`/traffic/businesses/b-2/views?from=${wholeB2.from.getTime()}&to=${wholeB2.to.getTime()}`))
      .body,
  ).toEqual({ business_id: 'b-2', name: 'Beta', minutes: expectedMinutes('b-2', wholeB2.from, wholeB2.to) });
  // The last hour by default (nothing then), and a business not in the catalogue.
  expect((await api('/traffic/businesses/b-1/views')).body).toEqual({
    business_id: 'b-1',
    name: 'Alpha',
    minutes: [],
  });
  expect((await api('/traffic/businesses/b-9/views?from=0&to=86400000')).body).toEqual({
    business_id: 'b-9',
    name: null,
    minutes: [],
  });
});

test('bad parameters: 400 naming the parameter; an unknown path: 404', async () => {
  for (const [request, reason] of [
    ['/traffic/surges?at=tomorrow', /^at: expected epoch milliseconds or an ISO-8601 time/],
    ['/traffic/surges?at=2026-03-01T10:00:00', /^at: expected/],
    ['/traffic/surges?at=1&at=2', /^at: given more than once/],
    ['/traffic/surges?limit=5', /^limit: unknown parameter; this route takes only at$/],
    ['/traffic/businesses/b-1/views?from=x', /^from: expected/],
    ['/traffic/businesses/b-1/views?to=1e12', /^to: expected/],
    [
      '/traffic/businesses/b-1/views?from=2026-03-01T10:00:00Z&to=2026-03-01T10:00:00Z',
      /^from\/to: from must be earlier than to$/,
    ],
    [
      '/traffic/businesses/b-1/views?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:01Z',
      /^from\/to: the range may span at most 24 hours$/,
    ],
    ['/traffic/businesses/b-1/views?at=1', /^at: unknown parameter/],
    ['/traffic/businesses/b%201/views', /^id: a business id is 1 to 64 characters/],
    [`/traffic/businesses/${'b'.repeat(65)}/views`, /^id: /],
    ['/traffic/businesses/b%2F1/views', /^id: /],
  ] as const) {
    const { status, body } = await api(request);
    expect(status, request).toBe(400);
    expect(body['error'], request).toMatch(reason);
  }
  const missing = await api('/traffic/businesses/b-1');
  expect(missing.status).toBe(404);
  expect(missing.body['error']).toMatch(
    /^no endpoint GET \/api\/traffic\/businesses\/b-1; GET \/api lists them$/,
  );
  expect(await stopGracefully(batch)).toBe(0);
});
