/**
 * The shape every stream's pipeline takes: pure steps from a consumed record to the rows it
 * stores and the records it derives. The Kafka and Cassandra adapters run any pipeline and
 * know nothing of the stream behind it.
 */

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
}

/** One row to upsert: the table and its column values, primary key included. */
export interface Row {
  table: string;
  values: Record<string, unknown>;
}

export interface OutputRecord {
  topic: string;
  key: string | null;
  value: string;
}

export type Decoded<Fact> = { ok: true; fact: Fact } | { ok: false; reason: string };

export interface StreamPipeline<Fact> {
  name: string;
  sourceTopic: string;
  deadLetterTopic: string;
  /** Parse and validate: a reason for anything that is not a valid fact. */
  decode(record: SourceRecord): Decoded<Fact>;
  eventTime(fact: Fact): Date;
  /** The idempotent upserts that store the fact, keyed by the event's own id. */
  rows(fact: Fact): Row[];
  /** Records derived from the fact for other topics (alerts, for instance). */
  derive(fact: Fact): OutputRecord[];
  /** Stream-specific metrics for facts that are now durably stored and committed. */
  observe?(stored: Fact[]): void;
}

export interface Rejection {
  record: SourceRecord;
  reason: string;
}

export interface MicroBatchResult<Fact> {
  accepted: Fact[];
  rejected: Rejection[];
  rows: Row[];
  /** Derived records and dead letters, produced in one transaction with the offsets. */
  outputs: OutputRecord[];
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

export function runMicroBatch<Fact>(
  pipeline: StreamPipeline<Fact>,
  records: SourceRecord[],
): MicroBatchResult<Fact> {
  const result: MicroBatchResult<Fact> = { accepted: [], rejected: [], rows: [], outputs: [] };
  for (const record of records) {
    const decoded = pipeline.decode(record);
    if (!decoded.ok) {
      const rejection = { record, reason: decoded.reason };
      result.rejected.push(rejection);
      result.outputs.push(deadLetter(pipeline.deadLetterTopic, rejection));
      continue;
    }
    result.accepted.push(decoded.fact);
    result.rows.push(...pipeline.rows(decoded.fact));
    result.outputs.push(...pipeline.derive(decoded.fact));
  }
  return result;
}
