/**
 * The shape every stream's pipeline takes: pure steps from a consumed record to the rows it
 * stores and the records it derives. The Kafka and Cassandra adapters run any pipeline and
 * know nothing of the stream behind it.
 */

import type { Row } from '../common/cassandra.ts';
import { deadLetter, type OutputRecord, type Rejection, type SourceRecord } from '../common/records.ts';

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

export interface MicroBatchResult<Fact> {
  accepted: Fact[];
  rejected: Rejection[];
  rows: Row[];
  /** Derived records and dead letters, produced in one transaction with the offsets. */
  outputs: OutputRecord[];
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
