import { FieldType, type DataFrame, type Field } from '@grafana/data';
import type { LeaderboardOptions } from './types';

/** Recent values from a series cell: "1.5, 7,3", "[1.5, 7, 3]" or an array; anything else is none. */
export function parseSeries(cell: unknown): number[] {
  let values: unknown = cell;
  if (typeof cell === 'string') {
    const text = cell.trim();
    if (text === '') return [];
    if (text.startsWith('[')) {
      try {
        values = JSON.parse(text);
      } catch {
        return [];
      }
    } else {
      values = text.split(',');
    }
  }
  if (!Array.isArray(values)) return [];
  return values.map((value) => Number(value)).filter((value) => Number.isFinite(value));
}

export interface LeaderboardFields {
  name: Field;
  value: Field;
  score?: Field;
  series?: Field;
}

const byName = (frame: DataFrame, name: string | undefined) =>
  name ? frame.fields.find((field) => field.name === name || field.config.displayName === name) : undefined;

/**
 * The fields the panel draws. Named in the options, or else: the first string field names the
 * rows, the first number field is the value, the second the score.
 */
export function pickFields(frame: DataFrame, options: LeaderboardOptions): LeaderboardFields | undefined {
  const numbers = frame.fields.filter((field) => field.type === FieldType.number);
  const name =
    byName(frame, options.nameField) ?? frame.fields.find((field) => field.type === FieldType.string);
  const value = byName(frame, options.valueField) ?? numbers[0];
  if (name === undefined || value === undefined) return undefined;
  const score = byName(frame, options.scoreField) ?? numbers.find((field) => field !== value);
  const series = byName(frame, options.seriesField);
  return { name, value, score, series };
}

export interface LeaderboardRow {
  rank: number;
  /** Index of the row in the frame, for the fields' display processors. */
  index: number;
  name: string;
  value: number;
  score: number | undefined;
  series: number[];
  /** The value as a fraction of the largest value shown: the bar's length. */
  fraction: number;
}

export function buildRows(
  frame: DataFrame,
  fields: LeaderboardFields,
  options: LeaderboardOptions,
): LeaderboardRow[] {
  const limit = Math.max(0, Math.min(frame.length, Math.floor(options.limit)));
  const valueAt = (index: number) => Number(fields.value.values[index]);
  let shown: number[];
  if (options.sortBy === 'value-desc') {
    // One pass reads the values; missing or non-numeric values rank last; ties keep data order.
    const values = Float64Array.from({ length: frame.length }, (_, index) => {
      const value = valueAt(index);
      return Number.isNaN(value) ? -Infinity : value;
    });
    shown = Array.from({ length: frame.length }, (_, index) => index)
      .sort((a, b) => values[b]! - values[a]! || a - b)
      .slice(0, limit);
  } else {
    // The data source already ranks: only the first `limit` rows are read.
    shown = Array.from({ length: limit }, (_, index) => index);
  }
  const largest = Math.max(0, ...shown.map(valueAt).filter(Number.isFinite));
  return shown.map((index, position) => {
    const value = valueAt(index);
    const score = fields.score === undefined ? undefined : Number(fields.score.values[index]);
    return {
      rank: position + 1,
      index,
      name: String(fields.name.values[index] ?? ''),
      value,
      score: score === undefined || Number.isNaN(score) ? undefined : score,
      series: fields.series === undefined ? [] : parseSeries(fields.series.values[index]),
      fraction: largest > 0 && Number.isFinite(value) ? Math.max(0, value) / largest : 0,
    };
  });
}
