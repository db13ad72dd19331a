import { describe, expect, test, vi } from 'vitest';
import { loadBatchConfig } from '../../batch/config.ts';
import { STREAMS } from '../../streams/index.ts';
import { readHarmonySettings } from '../../streams/harmony/settings.ts';
import { readTrafficSettings } from '../../streams/traffic/settings.ts';
import { parseRange } from '../../batch/options.ts';
import {
  bucketStatistics,
  countLowScores,
  droneHours,
  hoursCovering,
  mergeDroneHours,
  latestCompleteBucket,
  rankLowScorers,
  rankingCandidates,
} from '../../streams/harmony/statistics.ts';

const at = (iso: string) => new Date(iso);

describe('low-score leaderboard', () => {
  const scores = [
    { person_id: 'p-2', name: 'Old Name', harmony_score: 1, event_time: at('2026-01-01T00:00:00Z') },
    { person_id: 'p-2', name: 'New Name', harmony_score: 0.5, event_time: at('2026-01-01T00:05:00Z') },
    { person_id: 'p-1', name: 'Ada', harmony_score: 1.5, event_time: at('2026-01-01T00:01:00Z') },
    { person_id: 'p-3', name: 'Bob', harmony_score: 1.9, event_time: at('2026-01-01T00:02:00Z') },
    { person_id: 'p-4', name: 'Cy', harmony_score: 0, event_time: at('2026-01-01T00:03:00Z') },
  ];

  test('counts low scores per person and keeps the latest name', () => {
    const counts = countLowScores(scores);
    expect(counts.get('p-2')).toMatchObject({ low_count: 2, name: 'New Name' });
    expect(counts.get('p-1')).toMatchObject({ low_count: 1 });
  });

  test('only those who can still reach the top are candidates: ties at the cut are all kept', () => {
    const candidates = rankingCandidates(countLowScores(scores).values(), 2);
    expect(candidates.map((person) => person.person_id).sort()).toEqual(['p-1', 'p-2', 'p-3', 'p-4']);
    expect(rankingCandidates(countLowScores(scores).values(), 1).map((person) => person.person_id)).toEqual([
      'p-2',
    ]);
  });

  test('ranks by count, then lower average, then person id; equal averages in other bits tie', () => {
    const averages: Record<string, number> = { 'p-1': 3.4, 'p-2': 5, 'p-3': 3.4000000000000004, 'p-4': 2 };
    const ranked = rankLowScorers([...countLowScores(scores).values()], (personId) => averages[personId]!, 3);
    expect(ranked.map(({ rank, person_id }) => [rank, person_id])).toEqual([
      [1, 'p-2'],
      [2, 'p-4'],
      [3, 'p-1'],
    ]);
    expect(ranked[0]).toEqual({ rank: 1, person_id: 'p-2', name: 'New Name', low_count: 2, avg_score: 5 });
  });
});

describe('bucket statistics', () => {
  const reports = [
    { event_time: at('2026-01-01T00:00:10Z'), persons_count: 2, low_count: 1, score_sum: 6 },
    { event_time: at('2026-01-01T00:00:50Z'), persons_count: 4, low_count: 0, score_sum: 30 },
    { event_time: at('2026-01-01T00:02:00Z'), persons_count: 1, low_count: 1, score_sum: 1 },
  ];

  test('per minute: average score over persons, persons and low persons per report', () => {
    expect(bucketStatistics(reports, 60_000)).toEqual([
      {
        bucket_start: at('2026-01-01T00:00:00Z'),
        reports: 2,
        persons: 6,
        low_persons: 1,
        avg_score: 6,
        avg_persons_per_report: 3,
        avg_low_persons_per_report: 0.5,
      },
      {
        bucket_start: at('2026-01-01T00:02:00Z'),
        reports: 1,
        persons: 1,
        low_persons: 1,
        avg_score: 1,
        avg_persons_per_report: 1,
        avg_low_persons_per_report: 1,
      },
    ]);
  });

  test('the gauges show the latest bucket that has ended', () => {
    const buckets = bucketStatistics(reports, 60_000);
    expect(latestCompleteBucket(buckets, 60_000, at('2026-01-01T00:02:30Z'))?.bucket_start).toEqual(
      at('2026-01-01T00:00:00Z'),
    );
    expect(latestCompleteBucket(buckets, 60_000, at('2026-01-01T00:03:00Z'))?.bucket_start).toEqual(
      at('2026-01-01T00:02:00Z'),
    );
  });

  test('reads exactly the hour partitions of the range', () => {
    expect(hoursCovering(at('2026-01-01T10:30:00Z'), at('2026-01-01T12:00:00Z'))).toEqual([
      at('2026-01-01T10:00:00Z'),
      at('2026-01-01T11:00:00Z'),
    ]);
    expect(hoursCovering(at('2026-01-01T10:30:00Z'), at('2026-01-01T12:00:01Z'))).toHaveLength(3);
  });
});

describe('batch options and settings', () => {
  test('--from/--to: a range, or a one-line reason', () => {
    expect(parseRange({})).toBeUndefined();
    expect(() => parseRange({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00+01:00' })).toThrow(
      '--to must be later than --from',
    );
    expect(() => parseRange({ to: '2026-01-01T00:00:00Z' })).toThrow('--to needs --from');
    expect(() => parseRange({ from: '2026-01-01' })).toThrow(/^--from must be an ISO-8601 time/);
    expect(() => parseRange({ from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).toThrow(
      /at most 31 days/,
    );
    const now = at('2026-01-02T00:00:00Z');
    expect(parseRange({ from: '2026-01-01T00:00:00Z' }, now)).toEqual({
      from: at('2026-01-01T00:00:00Z'),
      to: now,
    });
  });

  test('defaults, and refusals in one line', () => {
    const config = loadBatchConfig({});
    expect(config).toMatchObject({ schedule: '* * * * *', httpPort: 9465 });
    expect(readHarmonySettings({})).toMatchObject({
      LOW_SCORE_THRESHOLD: 2,
      TOP_SIZE: 10,
      TOP_WINDOW_HOURS: 24,
      BUCKET_SECONDS: 60,
    });
    expect(() => loadBatchConfig({ BATCH_SCHEDULE: 'every minute' })).toThrow(/^invalid BATCH_SCHEDULE/);
    expect(() => loadBatchConfig({ HARMONY_LOW_SCORE_THRESHOLD: '3' })).toThrow(
      /^invalid HARMONY_LOW_SCORE_THRESHOLD/,
    );
    expect(() => loadBatchConfig({ HARMONY_BUCKET_SECONDS: '7' })).toThrow(/divides an hour/);
  });

  test('the settings named before the one pattern are still read, and said to be deprecated', () => {
    const said: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      said.push(String(line));
      return true;
    });
    try {
      expect(readHarmonySettings({ BATCH_TOP_SIZE: '7' }).TOP_SIZE).toBe(7);
      expect(readHarmonySettings({ BATCH_TOP_SIZE: '7', HARMONY_TOP_SIZE: '8' }).TOP_SIZE).toBe(8);
      expect(() => loadBatchConfig({ BATCH_LOW_SCORE_THRESHOLD: '3' })).toThrow(
        /^invalid HARMONY_LOW_SCORE_THRESHOLD/,
      );
    } finally {
      write.mockRestore();
    }
    expect(said).toContain(
      'BATCH_TOP_SIZE is deprecated: set HARMONY_TOP_SIZE instead (BATCH_TOP_SIZE is read for this release)\n',
    );
    expect(said).toContain('BATCH_TOP_SIZE is deprecated and ignored: HARMONY_TOP_SIZE is set\n');
  });

  test('a keyspace per stream: CASSANDRA_KEYSPACE_<STREAM>, named after the stream unless set', () => {
    const keyspaces = (env: NodeJS.ProcessEnv) =>
      loadBatchConfig(env).streams.map(({ keyspace }) => keyspace);
    expect(keyspaces({})).toEqual(STREAMS.map(({ name }) => name));
    expect(readHarmonySettings({ CASSANDRA_KEYSPACE_HARMONY: 'h_1' }).keyspace).toBe('h_1');
    expect(readTrafficSettings({ CASSANDRA_KEYSPACE_TRAFFIC: 't_1' }).keyspace).toBe('t_1');
    expect(() => loadBatchConfig({ CASSANDRA_KEYSPACE_TRAFFIC: 'Traffic-1' })).toThrow(
      /^invalid CASSANDRA_KEYSPACE_TRAFFIC: a lowercase CQL identifier/,
    );
  });
});

describe('drone activity per hour', () => {
  const hour = at('2026-01-01T10:00:00Z');
  const report = (drone_id: string, minute: number, low_count: number) => ({
    drone_id,
    event_time: at(`2026-01-01T10:${String(minute).padStart(2, '0')}:00Z`),
    lat: minute,
    lon: -minute,
    low_count,
  });

  test('an hour: reports and alerts counted per drone, the latest position kept whatever the order', () => {
    expect(droneHours(hour, [report('d-2', 30, 0), report('d-1', 50, 2), report('d-1', 10, 0)])).toEqual([
      {
        hour,
        drone_id: 'd-1',
        reports: 2,
        alerts: 1,
        last_seen: at('2026-01-01T10:50:00Z'),
        lat: 50,
        lon: -50,
      },
      {
        hour,
        drone_id: 'd-2',
        reports: 1,
        alerts: 0,
        last_seen: at('2026-01-01T10:30:00Z'),
        lat: 30,
        lon: -30,
      },
    ]);
  });

  test('hours merged: sums, and the position of the latest hour', () => {
    const early = droneHours(hour, [report('d-1', 59, 1)]);
    const late = droneHours(at('2026-01-01T11:00:00Z'), [
      { ...report('d-1', 0, 0), event_time: at('2026-01-01T11:05:00Z') },
    ]);
    expect(mergeDroneHours([...late, ...early])).toEqual([
      {
        hour: at('2026-01-01T11:00:00Z'),
        drone_id: 'd-1',
        reports: 2,
        alerts: 1,
        last_seen: at('2026-01-01T11:05:00Z'),
        lat: 0,
        lon: -0,
      },
    ]);
  });
});
