import { describe, expect, test } from 'vitest';
import { toDataFrame } from '@grafana/data';
import { buildRows, parseSeries, pickFields, rowLinks, seriesRange } from '../../src/leaderboard';
import { defaultOptions } from '../../src/types';
import { SELECT_BUSINESS, leaderboardFrame, surgeFrame, withDataLinks } from './frames';

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
  const options = {
    ...defaultOptions,
    labelField: 'name',
    valueField: 'low_count',
    secondaryFields: ['avg_score'],
  };

  test('fields by name; rank, fraction of the largest value, series per row', () => {
    const frame = leaderboardFrame(3);
    const fields = pickFields(frame, { ...options, seriesField: 'recent_scores' })!;
    const rows = buildRows(frame, fields, { ...options, seriesField: 'recent_scores' });
    expect(rows.map(({ rank, label, value, fraction }) => ({ rank, label, value, fraction }))).toEqual([
      { rank: 1, label: 'Person 1', value: 3, fraction: 1 },
      { rank: 2, label: 'Person 2', value: 2, fraction: 2 / 3 },
      { rank: 3, label: 'Person 3', value: 1, fraction: 1 / 3 },
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
    expect(rows.map((row) => row.label)).toEqual(['c', 'a', 'd', 'b', 'e']);
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

describe('pickFields', () => {
  test('secondary fields: named ones in order, unknown names left out, none when asked', () => {
    const frame = surgeFrame(3);
    const named = pickFields(frame, {
      ...defaultOptions,
      labelField: 'name',
      valueField: 'surge',
      secondaryFields: ['views_60s', 'no_such_field', 'trailing_avg', 'city'],
    })!;
    expect(named.label.name).toBe('name');
    expect(named.value.name).toBe('surge');
    expect(named.secondary.map((field) => field.name)).toEqual(['views_60s', 'trailing_avg', 'city']);
    expect(pickFields(frame, { ...defaultOptions, secondaryFields: [] })!.secondary).toEqual([]);
  });

  test('defaults: the first text field labels, the first number is the value, the next one secondary', () => {
    const fields = pickFields(surgeFrame(2), defaultOptions)!;
    expect(fields.label.name).toBe('business_id');
    expect(fields.value.name).toBe('rank');
    expect(fields.secondary.map((field) => field.name)).toEqual(['views_60s']);
  });
});

describe('rowLinks', () => {
  test("each row's field config link, interpolated for that row, listed once though every field has it", () => {
    const frame = withDataLinks(surgeFrame(3), [SELECT_BUSINESS]);
    const fields = pickFields(frame, { ...defaultOptions, labelField: 'name', valueField: 'surge' })!;
    const rows = buildRows(frame, fields, { ...defaultOptions, sortBy: 'value-desc' });
    const links = rows.map((row) => rowLinks(frame, fields, row.index));
    expect(links.map((list) => list.length)).toEqual([1, 1, 1]);
    expect(links.map((list) => list[0]!.href)).toEqual([
      '/d/traffic?var-business=b-00001',
      '/d/traffic?var-business=b-00002',
      '/d/traffic?var-business=b-00003',
    ]);
    expect(links[0]![0]!.title).toBe('Show Café & Bar 1');
  });

  test('a link on one field only is found; no links, none', () => {
    const frame = surgeFrame(2);
    const fields = pickFields(frame, { ...defaultOptions, labelField: 'name', valueField: 'surge' })!;
    expect(rowLinks(frame, fields, 0)).toEqual([]);
    const city = frame.fields.find((field) => field.name === 'city')!;
    withDataLinks({ ...frame, fields: [city] }, [
      { title: 'City', url: '/d/x?var-city=${__data.fields.city}' },
    ]);
    expect(rowLinks(frame, fields, 1).map((link) => link.href)).toEqual(['/d/x?var-city=Lyon']);
  });
});

describe('seriesRange', () => {
  test("the series field's min/max, else the first number secondary's, else the values'", () => {
    const frame = leaderboardFrame(3);
    const options = { ...defaultOptions, seriesField: 'recent_scores', secondaryFields: ['avg_score'] };
    const fields = pickFields(frame, options)!;
    const rows = buildRows(frame, fields, options);
    expect(seriesRange(fields, rows)).toEqual({ min: 0, max: 8 });
    fields.secondary[0]!.config.max = 10;
    expect(seriesRange(fields, rows)).toEqual({ min: 0, max: 10 });
    fields.series!.config.min = 1;
    fields.series!.config.max = 9;
    expect(seriesRange(fields, rows)).toEqual({ min: 1, max: 9 });
  });
});
