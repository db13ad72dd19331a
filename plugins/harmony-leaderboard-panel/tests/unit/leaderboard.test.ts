import { describe, expect, test } from 'vitest';
import { toDataFrame } from '@grafana/data';
import { buildRows, parseSeries, pickFields } from '../../src/leaderboard';
import { defaultOptions } from '../../src/types';
import { leaderboardFrame } from './frames';

describe('parseSeries', () => {
  test('comma-separated text, JSON arrays and arrays; junk is dropped', () => {
    expect(parseSeries('1.5, 7,3')).toEqual([1.5, 7, 3]);
    expect(parseSeries('[0, 9.5]')).toEqual([0, 9.5]);
    expect(parseSeries([2, '4'])).toEqual([2, 4]);
    expect(parseSeries('1,x,2')).toEqual([1, 2]);
    expect(parseSeries('[not json')).toEqual([]);
    expect(parseSeries('')).toEqual([]);
    expect(parseSeries(null)).toEqual([]);
    expect(parseSeries(42)).toEqual([]);
  });
});

describe('buildRows', () => {
  const options = { ...defaultOptions, nameField: 'name', valueField: 'low_count', scoreField: 'avg_score' };

  test('fields by name; rank, fraction of the largest value, series per row', () => {
    const frame = leaderboardFrame(3);
    const fields = pickFields(frame, { ...options, seriesField: 'recent_scores' })!;
    const rows = buildRows(frame, fields, { ...options, seriesField: 'recent_scores' });
    expect(rows.map(({ rank, name, value, fraction }) => ({ rank, name, value, fraction }))).toEqual([
      { rank: 1, name: 'Person 1', value: 3, fraction: 1 },
      { rank: 2, name: 'Person 2', value: 2, fraction: 2 / 3 },
      { rank: 3, name: 'Person 3', value: 1, fraction: 1 / 3 },
    ]);
    expect(rows[1]!.series).toEqual([1, 1.5, 8, 7]);
  });

  test('1000 rows: only `limit` are built, sorted by value when asked', () => {
    const frame = leaderboardFrame(1000);
    const fields = pickFields(frame, options)!;
    expect(buildRows(frame, fields, options)).toHaveLength(10);
    const ascending = leaderboardFrame(5);
    ascending.fields[2]!.values.reverse();
    const sorted = buildRows(ascending, pickFields(ascending, options)!, {
      ...options,
      sortBy: 'value-desc',
      limit: 3,
    });
    expect(sorted.map((row) => row.value)).toEqual([5, 4, 3]);
  });

  test('value-desc: missing values rank last, ties keep data order; limit beyond the rows is fine', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'who', values: ['a', 'b', 'c', 'd', 'e'] },
        { name: 'count', values: [2, null, 5, 2, Number.NaN] },
      ],
    });
    const fields = pickFields(frame, defaultOptions)!;
    const rows = buildRows(frame, fields, { ...defaultOptions, sortBy: 'value-desc', limit: 50 });
    expect(rows.map((row) => row.name)).toEqual(['c', 'a', 'd', 'b', 'e']);
    expect(rows.map((row) => row.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.fraction).toBe(1);
    expect(rows[1]!.fraction).toBeCloseTo(0.4);
    expect(rows[3]!.fraction).toBe(0);
    expect(buildRows(frame, fields, { ...defaultOptions, limit: 0 })).toEqual([]);
  });

  test('a frame without a text or number field cannot be drawn', () => {
    const frame = leaderboardFrame(2);
    expect(
      pickFields(
        {
          ...frame,
          fields: frame.fields.filter((field) => field.name !== 'name' && field.name !== 'recent_scores'),
        },
        defaultOptions,
      ),
    ).toBeUndefined();
  });
});
