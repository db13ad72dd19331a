import { FieldType, type DataFrame, type Field, type LinkModel } from '@grafana/data';
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
  label: Field;
  value: Field;
  /** Shown after the bar, in this order. */
  secondary: Field[];
  series?: Field;
}

const byName = (frame: DataFrame, name: string | undefined) =>
  name ? frame.fields.find((field) => field.name === name || field.config.displayName === name) : undefined;

/**
 * The fields the panel draws. Named in the options, or else: the first string field labels the
 * rows, the first number field is the value, the next number field the one secondary column.
 * Secondary fields named in the options but absent from the data are left out.
 */
export function pickFields(frame: DataFrame, options: LeaderboardOptions): LeaderboardFields | undefined {
  const numbers = frame.fields.filter((field) => field.type === FieldType.number);
  const label =
    byName(frame, options.labelField) ?? frame.fields.find((field) => field.type === FieldType.string);
  const value = byName(frame, options.valueField) ?? numbers[0];
  if (label === undefined || value === undefined) return undefined;
  const secondary =
    options.secondaryFields === undefined
      ? numbers.filter((field) => field !== value).slice(0, 1)
      : options.secondaryFields
          .map((name) => byName(frame, name))
          .filter((field): field is Field => field !== undefined);
  const series = byName(frame, options.seriesField);
  return { label, value, secondary, series };
}

export interface LeaderboardRow {
  rank: number;
  /** Index of the row in the frame: for the fields' display processors and data links. */
  index: number;
  label: string;
  value: number;
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
    return {
      rank: position + 1,
      index,
      label: String(fields.label.values[index] ?? ''),
      value,
      series: fields.series === undefined ? [] : parseSeries(fields.series.values[index]),
      fraction: largest > 0 && Number.isFinite(value) ? Math.max(0, value) / largest : 0,
    };
  });
}

/**
 * A row's data links, from Grafana's field config links (set up by Grafana as field.getLinks,
 * interpolated for the row: ${__data.fields.business_id} and the like). Every field is asked,
 * label and value first; a link that several fields carry (the panel defaults give it to all
 * of them) is listed once.
 */
export function rowLinks(frame: DataFrame, fields: LeaderboardFields, rowIndex: number): LinkModel<Field>[] {
  const ordered = [fields.label, fields.value, ...fields.secondary, ...frame.fields];
  const seen = new Set<string>();
  const links: LinkModel<Field>[] = [];
  for (const field of new Set(ordered)) {
    for (const link of field.getLinks?.({ valueRowIndex: rowIndex }) ?? []) {
      const key = `${link.title}\u0000${link.href}`;
      if (seen.has(key)) continue;
      seen.add(key);
      links.push(link);
    }
  }
  return links;
}

/** The strip's vertical range: the series field's min/max, else the first secondary field's, else the data's. */
export function seriesRange(fields: LeaderboardFields, rows: LeaderboardRow[]): { min: number; max: number } {
  const values = rows.flatMap((row) => row.series);
  const reference = fields.secondary.find((field) => field.type === FieldType.number);
  return {
    min: fields.series?.config.min ?? reference?.config.min ?? Math.min(0, ...values),
    max: fields.series?.config.max ?? reference?.config.max ?? Math.max(0, ...values),
  };
}
