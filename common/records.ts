/** Records as every deployable sees them: what was consumed, what is produced, and dead letters. */

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
}

export interface Rejection {
  record: SourceRecord;
  reason: string;
}

/**
 * A dead letter must always fit in a Kafka message, or its transaction could never commit:
 * payloads beyond this are cut, and the origin still points at the whole original.
 */
export const DEAD_LETTER_PAYLOAD_MAX_BYTES = 256 * 1024;

/** A dead letter keeps the original payload with the reason and where it came from. */
export function deadLetter(deadLetterTopic: string, { record, reason }: Rejection): OutputRecord {
  const payloadBytes = record.value?.length ?? 0;
  const truncated = payloadBytes > DEAD_LETTER_PAYLOAD_MAX_BYTES;
  return {
    topic: deadLetterTopic,
    key: record.key,
    value: JSON.stringify({
      reason,
      origin: { topic: record.topic, partition: record.partition, offset: record.offset, key: record.key },
      payload:
        record.value === null
          ? null
          : record.value.subarray(0, DEAD_LETTER_PAYLOAD_MAX_BYTES).toString('utf8'),
      ...(truncated ? { payload_truncated: true, payload_bytes: payloadBytes } : {}),
    }),
  };
}
