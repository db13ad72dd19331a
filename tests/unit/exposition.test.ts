import { expect, test } from 'vitest';
import {
  bucketsBetween,
  histogramBuckets,
  histogramQuantile,
  parseSamples,
  sampleValue,
} from '../../common/exposition.ts';

const text = `# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 2
latency_seconds_bucket{le="1"} 6
latency_seconds_bucket{le="+Inf"} 10
latency_seconds_count 10
records_total{topic="a.b",outcome="accepted"} 42
records_total{topic="a.b",outcome="rejected"} 0
`;

test('samples by name and labels; comments skipped; absent series are undefined', () => {
  expect(parseSamples(text)).toHaveLength(6);
  expect(sampleValue(text, 'records_total', { outcome: 'accepted' })).toBe(42);
  expect(sampleValue(text, 'records_total', { topic: 'a.b', outcome: 'rejected' })).toBe(0);
  expect(sampleValue(text, 'records_total', { outcome: 'late' })).toBeUndefined();
});

test('histogram quantiles are estimated as histogram_quantile does', () => {
  const buckets = histogramBuckets(text, 'latency_seconds');
  expect(buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 10 });
  expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1 + 0.9 * (3 / 4), 9);
  expect(histogramQuantile(0.1, buckets)).toBeCloseTo(0.05, 9);
  // In the +Inf bucket: the highest finite bound.
  expect(histogramQuantile(0.99, buckets)).toBe(1);
  expect(histogramQuantile(0.5, bucketsBetween(buckets, buckets))).toBeNaN();
});

test('the difference of two scrapes counts only what happened between them', () => {
  const before = [
    { le: 1, count: 3 },
    { le: Number.POSITIVE_INFINITY, count: 4 },
  ];
  const after = [
    { le: 1, count: 5 },
    { le: Number.POSITIVE_INFINITY, count: 9 },
  ];
  expect(bucketsBetween(before, after)).toEqual([
    { le: 1, count: 2 },
    { le: Number.POSITIVE_INFINITY, count: 5 },
  ]);
});
