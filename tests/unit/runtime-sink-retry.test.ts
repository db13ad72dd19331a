import { expect, test } from 'vitest';
import { BACKOFF_INITIAL_MS } from '../../common/backoff.ts';
import { createProcessorMetrics } from '../../processor/metrics.ts';
import { SinkRetry } from '../../processor/runtime/sink-retry.ts';
import { capturedLog, INFO, metricValue, WARN } from './runtime-fakes.ts';

const CHUNK = { topic: 'test.words', partition: 3, firstOffset: '40' };

function retrying(stop = new AbortController().signal) {
  const metrics = createProcessorMetrics();
  const { log, entries } = capturedLog();
  return { metrics, entries, retry: new SinkRetry('counts', metrics, log, stop) };
}

test('a sink failing many times: every failure counted, one warning, paused until written, one info then', async () => {
  const { metrics, entries, retry } = retrying();
  const pausedWhileFailing: (number | undefined)[] = [];
  let attempts = 0;
  const write = async () => {
    attempts += 1;
    if (attempts > 1) pausedWhileFailing.push(await metricValue(metrics.paused, { pipeline: 'counts' }));
    if (attempts <= 3) throw new Error('Cassandra is down');
    return 'written';
  };

  expect(await retry.untilWritten('cassandra', write, CHUNK)).toBe('written');
  expect(pausedWhileFailing).toEqual([1, 1, 1]);
  expect(await metricValue(metrics.paused, { pipeline: 'counts' })).toBe(0);
  expect(await metricValue(metrics.writeErrors, { pipeline: 'counts', sink: 'cassandra' })).toBe(3);
  expect(entries.map(({ level, msg }) => ({ level, msg }))).toEqual([
    {
      level: WARN,
      msg: 'cassandra write for test.words[3] from offset 40 failed; pausing this partition and retrying with backoff',
    },
    { level: INFO, msg: 'cassandra accepts writes again; resuming' },
  ]);
  expect(entries[0]).toMatchObject({ sink: 'cassandra', topic: 'test.words', partition: 3, offset: '40' });
  expect(entries[1]).toMatchObject({ attempts: 4 });
});

test('a write accepted at once: nothing logged, never paused', async () => {
  const { metrics, entries, retry } = retrying();
  expect(await retry.untilWritten('kafka', async () => 7, CHUNK)).toBe(7);
  expect(entries).toEqual([]);
  expect(await metricValue(metrics.paused, { pipeline: 'counts' })).toBeUndefined();
});

test('stopping ends the wait for the next attempt: the write is given up', async () => {
  const stop = new AbortController();
  const { retry } = retrying(stop.signal);
  let attempts = 0;
  const started = Date.now();
  setTimeout(() => stop.abort(), 20);

  await expect(
    retry.untilWritten(
      'kafka',
      async () => {
        attempts += 1;
        throw new Error('no leader');
      },
      CHUNK,
    ),
  ).rejects.toMatchObject({ name: 'AbortError' });
  expect(attempts).toBe(1);
  expect(Date.now() - started).toBeLessThan(BACKOFF_INITIAL_MS);
});

test('a write failing once stopped is not tried again', async () => {
  const stop = new AbortController();
  stop.abort();
  const { retry } = retrying(stop.signal);
  let attempts = 0;
  await expect(
    retry.untilWritten(
      'cassandra',
      async () => {
        attempts += 1;
        throw new Error('Cassandra is down');
      },
      CHUNK,
    ),
  ).rejects.toMatchObject({ name: 'AbortError' });
  expect(attempts).toBe(1);
});
