/**
 * Commits one chunk of a partition, as Kafka Streams' RecordCollector and commit do: its output
 * records, changelog records and consumed offset in one transaction of the partition's producer.
 * What can be written nowhere leaves the chunk, counted and logged, so that the stream goes on:
 * records the broker refuses, and rows Cassandra refuses.
 */
import type { Logger } from 'pino';
import type { RefusedRow } from '../../common/cassandra.ts';
import { kafkaErrorKind } from '../../common/kafka.ts';
import type { BatchEffects } from '../dsl/task.ts';
import type { ProcessorMetrics } from '../metrics.ts';
import {
  commitTransaction,
  recordBytes,
  refusedRecords,
  type PartitionProducers,
  type UnwritableRecord,
} from './producers.ts';

/** Where a chunk lies in its partition: from its first record up to the offset after its last. */
export interface Chunk {
  topic: string;
  partition: number;
  firstOffset: string;
  nextOffset: string;
}

export class ChunkCommitter {
  /**
   * Batches the broker has refused records of: their retry sends a record per request, as
   * records that each fit may still exceed a topic's smaller limit together.
   */
  private readonly sendSingly = new WeakSet<BatchEffects>();

  constructor(
    private readonly producers: PartitionProducers,
    /** The consumer group whose offsets the transactions commit. */
    private readonly groupId: string,
    private readonly pipeline: string,
    private readonly metrics: ProcessorMetrics,
    private readonly log: Logger,
  ) {}

  /**
   * Commits a chunk's records, changelog and offset in one transaction of its partition's
   * producer. False when the partition has gone to another owner: its state here is stale.
   */
  async commit(effects: BatchEffects, chunk: Chunk, isStale: () => boolean): Promise<boolean> {
    const { topic, partition, firstOffset, nextOffset } = chunk;
    const { metrics, log, pipeline } = this;
    if (isStale()) return false;
    // After a failed attempt the producer was released: claiming again tells where the
    // partition's committed work stands now.
    const claim = await this.producers.claim(topic, partition);
    if (claim.claimed) {
      metrics.partitionClaims.inc({ pipeline, topic });
      if (claim.resumeFrom === nextOffset) return true;
      if (claim.resumeFrom !== undefined && claim.resumeFrom !== firstOffset) return false;
    }
    try {
      await commitTransaction(
        claim.producer,
        this.groupId,
        effects.outputs,
        { topic, partition, nextOffset },
        this.sendSingly.has(effects) ? 1 : undefined,
      );
      return true;
    } catch (error) {
      // A failed transaction leaves its producer spent: a retry claims the partition again with
      // a new one. Fenced, this instance no longer owns the partition.
      await this.producers.release(topic, partition);
      const failure = kafkaErrorKind(error);
      if (failure.kind === 'record refused') {
        // Retrying would be refused forever: the records at fault are found and set aside, and
        // the retry commits the rest.
        const probe = () => this.producers.probe(topic, partition);
        this.setAside(effects, await refusedRecords(probe, effects.outputs));
        this.sendSingly.add(effects);
      }
      if (failure.kind !== 'fenced') throw error;
      metrics.fencedCommits.inc({ pipeline, topic });
      log.warn(
        { pipeline, topic, partition },
        'fenced: another instance has claimed the partition; leaving this chunk to it',
      );
      return false;
    }
  }

  /**
   * Records that can be written nowhere leave the batch, so that the stream goes on: each is
   * counted (`processor_unwritable_records_total`) and logged with where it was going and the
   * consumed record it was made from.
   */
  setAside(effects: BatchEffects, unwritable: UnwritableRecord[]): void {
    if (unwritable.length === 0) return;
    const { metrics, log, pipeline } = this;
    const dropped = new Set(unwritable.map(({ record }) => record));
    effects.outputs = effects.outputs.filter((record) => !dropped.has(record));
    for (const { record, reason } of unwritable) {
      metrics.unwritableRecords.inc({ pipeline, topic: record.topic });
      log.error(
        {
          pipeline,
          destination: record.topic,
          bytes: recordBytes(record),
          reason,
          ...(record.origin !== undefined && {
            origin: {
              topic: record.origin.topic,
              partition: record.origin.partition,
              offset: record.origin.offset,
            },
          }),
        },
        'a record cannot be written to Kafka: counted as unwritable and skipped',
      );
    }
  }

  /**
   * Rows Cassandra refuses for what they hold are not written again (they never could be): each
   * is counted (`processor_unwritable_rows_total`) and logged with the chunk it was made from,
   * and the chunk commits without it.
   */
  reportRefusedRows(refused: RefusedRow[], chunk: Chunk): void {
    const { metrics, log, pipeline } = this;
    for (const { row, reason } of refused) {
      metrics.unwritableRows.inc({ pipeline, table: row.table });
      log.error(
        {
          pipeline,
          table: row.table,
          reason,
          origin: {
            topic: chunk.topic,
            partition: chunk.partition,
            offsets: `${chunk.firstOffset}-${BigInt(chunk.nextOffset) - 1n}`,
          },
        },
        'Cassandra refuses a row for what it holds: counted as unwritable and skipped',
      );
    }
  }
}
