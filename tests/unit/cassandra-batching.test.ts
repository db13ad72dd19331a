import { describe, expect, test } from 'vitest';
import {
  estimateRowBytes,
  forEachBounded,
  planUpserts,
  type BatchLimits,
  type Row,
  type TableKey,
} from '../../common/cassandra.ts';

const KEYS: Record<string, TableKey> = {
  reports: { partition: ['report_id'], clustering: [] },
  by_hour: { partition: ['hour'], clustering: ['event_time', 'report_id'] },
  composite: { partition: ['bucket', 'hour'], clustering: ['at'] },
};
const keyOfTable = (table: string) => KEYS[table]!;
const LOOSE: BatchLimits = { maxStatements: 100, maxBytes: 1_000_000 };
const HOUR = new Date('2026-01-01T10:00:00Z');
const at = (second: number) => new Date(HOUR.getTime() + second * 1000);

const byHour = (hour: Date, second: number, extra: Record<string, unknown> = {}): Row => ({
  table: 'by_hour',
  values: { hour, event_time: at(second), report_id: `r${second}`, ...extra },
});
const report = (id: string): Row => ({ table: 'reports', values: { report_id: id, drone_id: 'd1' } });

describe('planUpserts', () => {
  test('groups rows by table and partition key, equal Dates being one partition', () => {
    const otherHour = new Date(HOUR.getTime() + 3_600_000);
    const rows = [
      byHour(new Date(HOUR), 1),
      report('a'),
      byHour(otherHour, 2),
      byHour(new Date(HOUR), 3),
      report('b'),
      byHour(otherHour, 4),
    ];
    const runs = planUpserts(rows, keyOfTable, LOOSE);
    expect(runs.map((run) => run.map((row) => row.values['report_id'] ?? row.values['event_time']))).toEqual([
      ['r1', 'r3'],
      ['r2', 'r4'],
      ['a'],
      ['b'],
    ]);
    // Every row is planned exactly once.
    expect(runs.flat()).toHaveLength(rows.length);
    expect(new Set(runs.flat())).toEqual(new Set(rows));
  });

  test('a composite partition key takes all its columns', () => {
    const row = (bucket: number, hour: Date, second: number): Row => ({
      table: 'composite',
      values: { bucket, hour, at: at(second) },
    });
    const runs = planUpserts(
      [row(60, HOUR, 1), row(300, HOUR, 2), row(60, HOUR, 3), row(60, new Date(0), 4)],
      keyOfTable,
      LOOSE,
    );
    expect(runs.map((run) => run.map((r) => (r.values['at'] as Date).getTime() - HOUR.getTime()))).toEqual([
      [1000, 3000],
      [2000],
      [4000],
    ]);
  });

  test('a single row is its own run (a plain statement); one-row partitions are never batched together', () => {
    const runs = planUpserts([report('a'), report('b'), report('c')], keyOfTable, LOOSE);
    expect(runs).toEqual([[report('a')], [report('b')], [report('c')]]);
  });

  test('a partition is cut at the statement cap, keeping its order', () => {
    const rows = Array.from({ length: 250 }, (_, second) => byHour(HOUR, second));
    const runs = planUpserts(rows, keyOfTable, { maxStatements: 100, maxBytes: 1_000_000 });
    expect(runs.map((run) => run.length)).toEqual([100, 100, 50]);
    expect(runs.flat()).toEqual(rows);
  });

  test('a partition is cut at the byte cap, and no run but a lone oversized row goes over it', () => {
    const rows = Array.from({ length: 40 }, (_, second) =>
      byHour(HOUR, second, { note: 'x'.repeat(second * 10) }),
    );
    rows.push(byHour(HOUR, 1000, { note: 'y'.repeat(5000) }), byHour(HOUR, 1001));
    const limits = { maxStatements: 100, maxBytes: 1024 };
    const runs = planUpserts(rows, keyOfTable, limits);
    expect(runs.flat()).toEqual(rows);
    expect(runs.length).toBeGreaterThan(5);
    for (const run of runs) {
      const bytes = run.reduce((sum, row) => sum + estimateRowBytes(row), 0);
      if (run.length > 1) expect(bytes).toBeLessThanOrEqual(limits.maxBytes);
      else if (bytes > limits.maxBytes) expect(run[0]!.values['note']).toMatch(/^y+$/);
    }
    // The runs are full: each but a partition's last would not have taken its successor's first row.
    for (let index = 0; index + 1 < runs.length; index += 1) {
      const bytes = runs[index]!.reduce((sum, row) => sum + estimateRowBytes(row), 0);
      expect(bytes + estimateRowBytes(runs[index + 1]![0]!)).toBeGreaterThan(limits.maxBytes);
    }
  });

  test('rows with the same primary key are merged in the first one’s place, later values winning', () => {
    const first = byHour(HOUR, 1, { score: 1, name: 'first' });
    const again = byHour(new Date(HOUR), 1, { score: 2, name: undefined, extra: null });
    const runs = planUpserts([first, byHour(HOUR, 2), again, byHour(HOUR, 3)], keyOfTable, LOOSE);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.map((row) => row.values['report_id'])).toEqual(['r1', 'r2', 'r3']);
    // undefined leaves a column unset, so it keeps the earlier value; null overwrites.
    expect(runs[0]![0]!.values).toEqual({ ...first.values, score: 2, extra: null });
    // The caller's rows are not changed.
    expect(first.values['score']).toBe(1);
  });

  test('the same key across tables, or in another clustering, is a different row', () => {
    const runs = planUpserts(
      [report('r1'), byHour(HOUR, 1), byHour(HOUR, 1, { report_id: 'other' })],
      keyOfTable,
      LOOSE,
    );
    expect(runs.flat()).toHaveLength(3);
  });

  test('keys of other types: strings and numbers that print alike stay apart, Buffers by content', () => {
    const table = 'reports';
    const runs = planUpserts(
      [
        { table, values: { report_id: '1' } },
        { table, values: { report_id: 1 } },
        { table, values: { report_id: Buffer.from('ab') } },
        { table, values: { report_id: Buffer.from('ab') } },
      ],
      keyOfTable,
      LOOSE,
    );
    expect(runs.map((run) => run.length)).toEqual([1, 1, 1]);
  });

  test('no rows, no runs', () => {
    expect(planUpserts([], keyOfTable, LOOSE)).toEqual([]);
  });
});

describe('estimateRowBytes', () => {
  test('counts values in UTF-8 plus a per-cell overhead, collections per element', () => {
    expect(estimateRowBytes({ table: 't', values: { a: 'abc' } })).toBe(8 + 3);
    expect(estimateRowBytes({ table: 't', values: { a: 'é' } })).toBe(8 + 2);
    expect(estimateRowBytes({ table: 't', values: { a: 1.5, b: new Date(), c: null } })).toBe(
      8 + 8 + 8 + 8 + 8,
    );
    expect(estimateRowBytes({ table: 't', values: { a: ['ab', 'c'] } })).toBe(8 + 24 + 2 + 24 + 1);
    // A user-defined type: each field with a 4-byte length.
    expect(estimateRowBytes({ table: 't', values: { a: [{ x: 'ab', y: 1 }] } })).toBe(8 + 24 + 4 + 2 + 4 + 8);
  });
});

describe('forEachBounded', () => {
  test('runs every item, with its index, with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    const items = Array.from({ length: 50 }, (_, index) => index * 10);
    await forEachBounded(items, 7, async (item, index) => {
      expect(item).toBe(items[index]);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, index % 3));
      inFlight -= 1;
      done.push(item);
    });
    expect(most).toBe(7);
    expect(done.sort((a, b) => a - b)).toEqual(items);
  });

  test('after a failure starts nothing more, lets the running ones settle, then rejects with the first error', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = forEachBounded(
      Array.from({ length: 100 }, (_, index) => index),
      4,
      async (item) => {
        started.push(item);
        await new Promise((resolve) => setTimeout(resolve, item === 5 ? 1 : 5));
        settled += 1;
        if (item === 5) throw new Error('five');
        if (item === 6) throw new Error('six');
      },
    );
    await expect(run).rejects.toThrow('five');
    expect(settled).toBe(started.length);
    expect(started.length).toBeLessThan(12);
  });
});
