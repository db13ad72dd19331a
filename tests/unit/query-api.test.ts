import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { queryApi } from '../../batch/api.ts';
import { loadBatchConfig } from '../../batch/config.ts';
import { STREAMS } from '../../batch/streams/index.ts';
import { CassandraStore } from '../../common/cassandra.ts';
import { QUERY_LIMITS, parseParams, queryParams } from '../../batch/streams/harmony-api.ts';

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

describe('the query API of every stream', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    // Never connected: listing and refusing bad parameters read nothing.
    const config = loadBatchConfig({ CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' });
    const streams = STREAMS.map((stream) => {
      const keyspace = stream.keyspace(config);
      const store = new CassandraStore({ contactPoints: ['127.0.0.1:1'], localDataCenter: 'dc', keyspace });
      const context = { config, keyspace, store, registry: new Registry(), log: pino({ level: 'silent' }) };
      return { name: stream.name, routes: stream.routes(context) };
    });
    const app = express();
    app.use('/api', queryApi(streams));
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
    ]);
  });

  test('bad parameters are a 400 naming them, before any read; an unknown path a 404', async () => {
    for (const [path, reason] of [
      ['/traffic/surges?at=soon', /^at: expected epoch milliseconds/],
      ['/traffic/surges?at=1&at=2', /^at: given more than once/],
      ['/traffic/surges?top=5', /^top: unknown parameter/],
      ['/traffic/businesses/a%20b/views', /^id: a business id/],
      ['/traffic/businesses/b-1/views?from=0&to=86400001', /^from\/to: the range may span at most 24 hours/],
      ['/reports?limit=0', /^limit: /],
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
});
