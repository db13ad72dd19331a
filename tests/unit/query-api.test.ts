import { expect, test } from 'vitest';
import { QUERY_LIMITS, parseParams, queryParams } from '../../batch/query-api.ts';

test('Grafana epoch milliseconds and ISO-8601 times are both read', () => {
  const epoch = parseParams(queryParams.reports, { from: '1767225600000', to: '1767229200000' });
  const iso = parseParams(queryParams.reports, {
    from: '2026-01-01T00:00:00Z',
    to: '2026-01-01T01:00:00+00:00',
  });
  expect(epoch).toEqual(iso);
  expect(epoch).toMatchObject({
    ok: true,
    params: { range: { from: new Date('2026-01-01T00:00:00Z') }, limit: 100 },
  });
});

test('without a range: the last hour', () => {
  const parsed = parseParams(queryParams.reportStats, {});
  if (!parsed.ok) throw new Error(parsed.error);
  const { from, to } = parsed.params.range;
  expect(to.getTime() - from.getTime()).toBe(QUERY_LIMITS.defaultRangeMs);
  expect(parsed.params.bucket_seconds).toBe(60);
});

test('bounded: ranges, limits and ids outside the bounds are refused with the parameter named', () => {
  expect(parseParams(queryParams.reports, { limit: '501' })).toEqual({
    ok: false,
    error: 'limit: Too big: expected number to be <=500',
  });
  expect(parseParams(queryParams.drones, { from: '0', to: String(25 * 3_600_000) })).toEqual({
    ok: false,
    error: 'from/to: the range may span at most 24 hours',
  });
  expect(parseParams(queryParams.personScores, { person: 'p 1' })).toMatchObject({
    ok: false,
    error: /^person: /,
  });
  expect(parseParams(queryParams.leaderboard, {})).toEqual({
    ok: true,
    params: { board: 'latest', recent: 20 },
  });
});
