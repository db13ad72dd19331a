/** Records as every deployable sees them: what was consumed, what is produced, and dead letters. */
import { createHash } from 'node:crypto';
import { strictUtf8 } from './utf8.ts';

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
}

export interface OutputRecord {
  topic: string;
  /** Set where the partition is not the key's: a changelog partition follows its source partition. */
  partition?: number;
  key: string | null;
  value: string | null;
  /** The consumed record this one was made from, if any: named when it cannot be written. */
  origin?: { topic: string; partition: number; offset: string };
}

export interface Rejection {
  record: SourceRecord;
  reason: string;
}

/**
 * A dead letter must always fit in a Kafka message, or its transaction could never commit, and
 * every produce request must stay well under the broker's limits: its whole value is bounded.
 */
export const DEAD_LETTER_MAX_BYTES = 64 * 1024;
const REASON_MAX_CHARS = 1000;
const KEY_MAX_CHARS = 256;

/**
 * A dead letter keeps the reason, where the record came from (topic, partition, offset, key),
 * the original's size and SHA-256, and as much of the original as fits: as text when it is valid
 * UTF-8, else as base64 (`payload_encoding`), so that no byte is lost to a replacement character.
 */
export function deadLetter(deadLetterTopic: string, { record, reason }: Rejection): OutputRecord {
  const key = record.key === null ? null : cut(record.key, KEY_MAX_CHARS);
  const head = {
    reason: cut(reason, REASON_MAX_CHARS),
    origin: { topic: record.topic, partition: record.partition, offset: record.offset, key },
  };
  if (record.value === null) {
    return { topic: deadLetterTopic, key, value: JSON.stringify({ ...head, payload: null }), origin: record };
  }
  const original = record.value;
  const facts = {
    payload_bytes: original.length,
    payload_sha256: createHash('sha256').update(original).digest('hex'),
  };
  const budget = DEAD_LETTER_MAX_BYTES - Buffer.byteLength(JSON.stringify({ ...head, ...facts })) - 100;
  const text = strictUtf8(original);
  const payload = text.ok
    ? { payload_encoding: 'utf8', ...fitText(text.value, budget) }
    : { payload_encoding: 'base64', ...fitBase64(original, budget) };
  return {
    topic: deadLetterTopic,
    key,
    value: JSON.stringify({ ...head, ...facts, ...payload }),
    origin: record,
  };
}

function cut(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

/** The longest prefix of `text` whose JSON encoding fits `budget` bytes (control characters take six). */
function fitText(text: string, budget: number): { payload: string; payload_truncated: boolean } {
  if (Buffer.byteLength(JSON.stringify(text)) <= budget) return { payload: text, payload_truncated: false };
  let low = 0;
  let high = Math.min(text.length, budget);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(JSON.stringify(text.slice(0, middle))) <= budget) low = middle;
    else high = middle - 1;
  }
  // A cut between the halves of a surrogate pair would leave a character that cannot be stored.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(low - 1)) ? low - 1 : low;
  return { payload: text.slice(0, end), payload_truncated: true };
}

function fitBase64(bytes: Buffer, budget: number): { payload: string; payload_truncated: boolean } {
  const fitting = Math.max(0, Math.floor((budget - 2) / 4) * 3);
  return {
    payload: bytes.subarray(0, fitting).toString('base64'),
    payload_truncated: bytes.length > fitting,
  };
}
