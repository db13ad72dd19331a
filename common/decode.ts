/**
 * Strict decoding of JSON messages, shared by every stream's schema: a message is accepted only
 * if its bytes are valid UTF-8, within its size bound, a JSON object, and each field is of its
 * kind and within its bounds. The reason of a failure names the first thing wrong, for a dead
 * letter.
 *
 * JSON.parse and plain field checks rather than a schema library: decoders run once per event at
 * tens of thousands per second, and were measured at about twice zod's speed.
 */
import { fail, ok, type Result } from './result.ts';
import { strictUtf8 } from './utf8.ts';

export { strictUtf8 };

export type Json = Record<string, unknown>;

/**
 * The event times a stream accepts: outside them an event is a dead letter, as a clock or a
 * producer is wrong (year 1 or year 9999 would open windows and partitions nobody reads).
 * Absolute bounds rather than bounds around the wall clock, so that a replay after a crash
 * decides every event as the first run did.
 */
export interface EventTimeRange {
  earliestMs: number;
  latestMs: number;
}

export const DEFAULT_EVENT_TIME_RANGE: EventTimeRange = {
  earliestMs: Date.parse('2000-01-01T00:00:00Z'),
  latestMs: Date.parse('2100-01-01T00:00:00Z'),
};

/** A message's value as a JSON object, of at most `maxBytes`. */
export function decodeObject(bytes: Buffer | string | null, maxBytes: number): Result<Json> {
  if (bytes === null) return fail('empty message: no value');
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > maxBytes) return fail(`oversized message: ${size} bytes, at most ${maxBytes}`);
  const decoded = strictUtf8(bytes);
  if (!decoded.ok) return decoded;
  let json: unknown;
  try {
    json = JSON.parse(decoded.value);
  } catch (error) {
    return fail(`invalid JSON: ${(error as Error).message}`);
  }
  return isObject(json) ? ok(json) : fail('not a JSON object');
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A lone surrogate is what invalid UTF-8 becomes once escaped as \uD800 in JSON: it cannot be
 * stored as UTF-8 either, so it is refused like invalid bytes.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** A string value, non-empty and at most `maxChars`, with no lone surrogate. */
export function textValue(value: unknown, field: string, maxChars: number): Result<string> {
  if (typeof value !== 'string' || value.length === 0)
    return fail(`invalid field ${field}: expected a non-empty string`);
  if (value.length > maxChars) return fail(`invalid field ${field}: longer than ${maxChars} characters`);
  if (!isWellFormed(value)) return fail(`invalid field ${field}: not valid Unicode text`);
  return ok(value);
}

export function text(json: Json, field: string, maxChars: number): Result<string> {
  return textValue(json[field], field, maxChars);
}

export function number(json: Json, field: string, min: number, max: number): Result<number> {
  const value = json[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    return fail(`invalid field ${field}: expected a number in [${min}, ${max}]`);
  }
  return ok(value);
}

export function integer(json: Json, field: string, min: number, max: number): Result<number> {
  const value = json[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return fail(`invalid field ${field}: expected an integer in [${min}, ${max}]`);
  }
  return ok(value);
}

export function oneOf<const T extends string>(json: Json, field: string, values: readonly T[]): Result<T> {
  const value = json[field];
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    return fail(`invalid field ${field}: expected one of ${values.join(', ')}`);
  }
  return ok(value as T);
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 time with offset, as text and as epoch ms, within the accepted range. */
export function isoTime(
  json: Json,
  field: string,
  range: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Result<{ text: string; ms: number }> {
  const value = json[field];
  const ms = typeof value === 'string' && ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (typeof value !== 'string' || Number.isNaN(ms)) {
    return fail(`invalid field ${field}: expected an ISO 8601 time with offset`);
  }
  return withinRange(field, value, ms, range);
}

/** Checks an already parsed time against the accepted range. */
export function withinRange(
  field: string,
  value: string,
  ms: number,
  range: EventTimeRange,
): Result<{ text: string; ms: number }> {
  if (ms < range.earliestMs || ms >= range.latestMs) {
    return fail(
      `invalid field ${field}: ${value} is outside the accepted event times ` +
        `[${new Date(range.earliestMs).toISOString()}, ${new Date(range.latestMs).toISOString()})`,
    );
  }
  return ok({ text: value, ms });
}

type Values<T> = { [K in keyof T]: T[K] extends Result<infer V> ? V : never };

/** The first failed check's reason, or the values of all of them. */
export function all<T extends Record<string, Result<unknown>>>(checks: T): Result<Values<T>> {
  const values: Record<string, unknown> = {};
  for (const [field, check] of Object.entries(checks)) {
    if (!check.ok) return check;
    values[field] = check.value;
  }
  return ok(values as Values<T>);
}
