import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hostName, queryApi } from '../../batch/api.ts';
import type { ApiRoute } from '../../batch/stream.ts';
import { loadBatchConfig } from '../../batch/config.ts';
import { CassandraStore } from '../../common/cassandra.ts';
import { QUERY_LIMITS, parseParams, queryParams } from '../../streams/harmony/api.ts';

test('Grafana epoch milliseconds and ISO-8601 times are both read', () => {
  const epoch = parseParams(queryParams.reports, { from: '1767225600000', to: '1767229200000' });
  const iso = parseParams(queryParams.reports, {
    from: '2026-01-01T00:00:00Z',
    to: '2026-01-01T01:00:00+00:00',
  });
  expect(epoch).toEqual(iso);
  expect(epoch).toMatchObject({
    ok: true,
    value: { range: { from: new Date('2026-01-01T00:00:00Z') }, limit: 100 },
  });
});

test('without a range: the last hour', () => {
  const parsed = parseParams(queryParams.reportStats, {});
  if (!parsed.ok) throw new Error(parsed.reason);
  const { from, to } = parsed.value.range;
  expect(to.getTime() - from.getTime()).toBe(QUERY_LIMITS.defaultRangeMs);
  expect(parsed.value.bucket_seconds).toBe(60);
});

test('bounded: ranges, limits and ids outside the bounds are refused with the parameter named', () => {
  expect(parseParams(queryParams.reports, { limit: '501' })).toEqual({
    ok: false,
    reason: 'limit: Too big: expected number to be <=500',
  });
  expect(parseParams(queryParams.drones, { from: '0', to: String(25 * 3_600_000) })).toEqual({
    ok: false,
    reason: 'from/to: the range may span at most 24 hours',
  });
  expect(parseParams(queryParams.personScores, { person: 'p 1' })).toMatchObject({
    ok: false,
    reason: /^person: /,
  });
  expect(parseParams(queryParams.leaderboard, {})).toEqual({
    ok: true,
    value: { board: 'latest', recent: 20 },
  });
});

const LIMITS = { allowedHosts: ['localhost', '127.0.0.1'], maxInFlight: 4, timeoutMs: 2000 };

describe('the query API of every stream', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    // Never connected: listing and refusing bad parameters read nothing.
    const config = loadBatchConfig({ CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' });
    const streams = config.streams.map(({ batch: stream, keyspace }) => {
      const store = new CassandraStore({ contactPoints: ['127.0.0.1:1'], localDataCenter: 'dc', keyspace });
      const context = { keyspace, store, registry: new Registry(), log: pino({ level: 'silent' }) };
      return { name: stream.name, routes: stream.routes(context) };
    });
    const app = express();
    app.use('/api', queryApi(streams, LIMITS));
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => {
    server.close();
  });
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('GET /api lists every route of every stream', async () => {
    const { status, body } = await get('');
    expect(status).toBe(200);
    expect(body['endpoints']).toEqual([
      'GET /api/reports?from&to&limit&drone: recent reports, newest first',
      'GET /api/persons/:person/scores?from&to&limit: one person’s score history, newest first',
      'GET /api/leaderboard?board&recent: the low-harmony top list with recent scores',
      'GET /api/report-stats?from&to&bucket_seconds: per-bucket averages from the batch job',
      'GET /api/drones?from&to: each drone’s latest position, reports and alerts',
      'GET /api/traffic/surges?at: the top 10 surging businesses at the newest 10 s step at or before `at` (default now)',
      'GET /api/traffic/businesses/:id/views?from&to: one business’s views per minute with their 15-minute trailing average (at most 24 h)',
      'GET /api/markets/symbols: every symbol the markets pipelines have seen',
      'GET /api/markets/:symbol/bars?from&to: one symbol’s OHLCV bars with Bollinger bands (20, 2σ) and Aroon (25) in [from, to) (default the last 30 min, at most 24 h)',
      'GET /api/hashtags/top?at&window: the top 10 hashtags over [t − 5 min, t) at the newest 10 s step t at or before `at` (default now)',
      'GET /api/hashtags/:tag/counts?from&to: one hashtag’s posts per minute in [from, to) (at most 24 h) and in total; the tag is normalised',
      'GET /api/places?from&to&level: posts per city (or per country with level=country) in [from, to), at most 24 h, with lat/lon',
      'GET /api/flights/airlines?day: every airline’s figures for a UTC day of scheduled departure (`day`: YYYY-MM-DD or a time in it; default today)',
      'GET /api/flights/routes?day&limit: a day’s busiest routes (all airlines): flights and mean arrival delay, `limit` of them (default 50)',
      'GET /api/flights/airports?day: a day’s airports with their coordinates, departures and arrivals (the map)',
      'GET /api/community/windows?community&from&to: one community’s 30 s windows in [from, to) (default the last hour, at most 24 h): logged-in members, logins, posts, likes, shares, comments, mean valence and the count of each emotion',
      'GET /api/community/posts/top?community&from&to&limit: one community’s most engaged posts (likes + shares + comments in windows of [from, to)), with their text and emotion; limit 1-100, default 10',
    ]);
  });

  test('bad parameters are a 400 naming them, before any read; an unknown path a 404', async () => {
    for (const [path, reason] of [
      ['/traffic/surges?at=soon', /^at: expected epoch milliseconds/],
      ['/traffic/surges?at=1&at=2', /^at: given more than once/],
      ['/traffic/surges?top=5', /^top: unknown parameter/],
      ['/hashtags/top?window=1h', /^window: the top 10 is ranked over the last 5 minutes only/],
      ['/hashtags/a%20b/counts', /^tag: a hashtag is 1 to 100 letters/],
      ['/places?level=planet', /^level: country or city/],
      ['/traffic/businesses/a%20b/views', /^id: a business id/],
      ['/traffic/businesses/b-1/views?from=0&to=86400001', /^from\/to: the range may span at most 24 hours/],
      ['/reports?limit=0', /^limit: /],
      ['/markets/aapl/bars', /^symbol: a ticker symbol/],
      ['/markets/AAPL/bars?from=0&to=86400001', /^from\/to: the range may span at most 24 hours/],
      ['/markets/AAPL/bars?since=0', /^since: unknown parameter; this route takes only from, to/],
      ['/markets/symbols?symbol=AAPL', /^symbol: unknown parameter; this route takes no parameters/],
      ['/flights/routes?limit=0', /^limit: expected an integer/],
      ['/flights/airlines?day=someday', /^day: expected a date/],
    ] as const) {
      const { status, body } = await get(path);
      expect(status, path).toBe(400);
      expect(body['error'], path).toMatch(reason);
    }
    expect(await get('/traffic')).toMatchObject({
      status: 404,
      body: { error: /^no endpoint GET \/api\/traffic;/ },
    });
  });

  test('parameters are strict: names with brackets, repeated names and non-decimal counts are a 400 naming them', async () => {
    for (const [path, reason] of [
      ['/reports?drone[]=a', /^drone\[\]: unknown parameter/],
      ['/reports?drone[$ne]=x', /^drone\[\$ne\]: unknown parameter/],
      ['/reports?limit=1&limit=2', /^limit: given more than once/],
      ['/reports?limit=0x10', /^limit: expected a whole number in decimal digits/],
      ['/reports?limit=1e2', /^limit: expected a whole number/],
      ['/reports?dron=d-1', /^dron: unknown parameter; this route takes only from, to, limit, drone/],
      ['/leaderboard?recent=%2016', /^recent: expected a whole number/],
    ] as const) {
      const { status, body } = await get(path);
      expect(status, path).toBe(400);
      expect(body['error'], path).toMatch(reason);
    }
  });

  test('a path that cannot be decoded is a JSON 400 with the reason, never a stack trace', async () => {
    const response = await fetch(`${base}/persons/%ZZ/scores`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(text).not.toMatch(/node_modules|at \w+ \(/);
    expect(JSON.parse(text)).toEqual({ error: expect.stringMatching(/decode/i) });
  });

  test('only the configured host names are answered (no DNS rebinding)', async () => {
    const request = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(`${base}`);
        const sent = http.get(
          { host: url.hostname, port: url.port, path: '/api', headers: { host } },
          (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode!, body }));
          },
        );
        sent.on('error', reject);
      });
    expect((await request('evil.example:9465')).status).toBe(403);
    expect(JSON.parse((await request('evil.example')).body)).toEqual({
      error: "host 'evil.example' is not served; BATCH_ALLOWED_HOSTS lists the accepted host names",
    });
    expect((await request('localhost:9465')).status).toBe(200);
    expect((await request('LOCALHOST')).status).toBe(200);
  });
});

describe('the query API bounds its work', () => {
  let server: Server;
  let base = '';
  const pending: (() => void)[] = [];
  beforeAll(async () => {
    // A route whose read ends only when the test lets it: in-flight requests stay in flight.
    const slow: ApiRoute = {
      path: '/slow',
      query: [],
      summary: 'answers when released',
      handle: () =>
        new Promise((resolve) => pending.push(() => resolve({ status: 200, body: { answered: true } }))),
    };
    const app = express();
    app.use(
      '/api',
      queryApi([{ name: 'test', routes: [slow] }], { ...LIMITS, maxInFlight: 2, timeoutMs: 300 }),
    );
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => {
    for (const release of pending) release();
    server.close();
  });

  test('a read past the timeout answers 503 with Retry-After; beyond the in-flight bound, 503 at once', async () => {
    const first = await fetch(`${base}/slow`);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.json()).toEqual({ error: 'timed out: no answer within 300 ms' });
    await fetch(`${base}/slow`);
    // Both reads still hold their slots although their answers have gone: a third is refused at once.
    const third = await fetch(`${base}/slow`);
    expect(third.status).toBe(503);
    expect(await third.json()).toEqual({ error: 'busy: 2 requests are being answered; retry shortly' });
    for (const release of pending.splice(0)) release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = fetch(`${base}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    pending.shift()!();
    expect((await after).status).toBe(200);
  });

  test('hostName reads the Host header as browsers send it', () => {
    expect(hostName('[::1]:9465')).toBe('::1');
    expect(hostName('Localhost:80')).toBe('localhost');
    expect(hostName('batch')).toBe('batch');
    expect(hostName(undefined)).toBeUndefined();
  });
});
