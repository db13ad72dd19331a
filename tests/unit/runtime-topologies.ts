/** Two small topologies for the runtime's unit tests, built with the real DSL, and their records. */
import type { SourceRecord } from '../../common/records.ts';
import { fail, ok, type Result } from '../../common/result.ts';
import { ACCEPTED, source, type Topology } from '../../processor/dsl/topology.ts';
import type { TopicNaming } from '../../processor/runtime/topics.ts';

export const NAMING: TopicNaming = { groupPrefix: 'processor', topicPrefix: 'test.' };

/** A word seen at an event time (ms): a record's key and value. */
interface Sighting {
  word: string;
  at: number;
}

function decodeSighting(record: SourceRecord): Result<Sighting> {
  const at = Number(record.value?.toString());
  return record.key === null || !Number.isFinite(at) ? fail('not a sighting') : ok({ word: record.key, at });
}

/** How far behind stream time a sighting may be and still count. */
export const GRACE_MS = 3_600_000;

/**
 * Stateful: counts each word in a store, writing the count as a row and as a record; a sighting
 * further behind stream time than the grace is set aside as late.
 */
export const wordCounts: Topology = {
  name: 'counts',
  schema: { file: 'unused.cql', keyspace: 'unused' },
  outputs: [{ topic: 'word-counts', partitions: 2 }],
  sources: [
    source<Sighting>({
      topic: 'words',
      partitions: 2,
      stateful: true,
      decode: decodeSighting,
      eventTime: ({ at }) => at,
      processor: (task) => {
        const counts = task.store<number>('counts');
        return {
          process({ word }, eventTime, out) {
            if (eventTime < task.streamTime - GRACE_MS) return { accepted: false, late: 'behind the grace' };
            const count = (counts.get(word) ?? 0) + 1;
            counts.put(word, count);
            out.row({ table: 'word_counts', values: { word, count } });
            out.record('word-counts', word, String(count));
            out.stored(eventTime);
            return ACCEPTED;
          },
        };
      },
    }),
  ],
};

/** Stateless, on a source other pipelines read too: each sighting is a row of its own. */
export const sightings: Topology = {
  name: 'sightings',
  schema: { file: 'unused.cql', keyspace: 'unused' },
  outputs: [],
  sources: [
    source<Sighting>({
      topic: 'words',
      partitions: 2,
      stateful: false,
      shared: true,
      decode: decodeSighting,
      eventTime: ({ at }) => at,
      processor: () => ({
        process({ word, at }, eventTime, out) {
          out.row({ table: 'sightings', values: { word, at } });
          out.stored(eventTime);
          return ACCEPTED;
        },
      }),
    }),
  ],
};

/** Consumed records of one partition from `firstOffset` on, a word each, all seen at `at`. */
export function sightingRecords(
  topic: string,
  partition: number,
  firstOffset: number,
  words: string[],
  at = Date.now(),
): SourceRecord[] {
  return words.map((word, index) => ({
    topic,
    partition,
    offset: String(firstOffset + index),
    key: word,
    value: Buffer.from(String(at)),
  }));
}
