import { createRequire } from 'node:module';
import { expect, test } from 'vitest';

/** The patched kafkajs module itself (patches/kafkajs+2.2.4.patch), as the producer calls it. */
const groupMessagesPerPartition = createRequire(import.meta.url)(
  'kafkajs/src/producer/groupMessagesPerPartition.js',
) as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: { partition: number; value: string }[];
  partitioner: (args: { message: { partition: number } }) => number;
}) => Record<number, { partition: number; value: string }[]>;

// The patch makes the grouping append in place (it copied each partition's array for every
// message); what it must keep is the grouping itself.
test("a send's messages are grouped per partition, in their order", () => {
  const messages = Array.from({ length: 30_000 }, (_, at) => ({ partition: at % 3, value: `m${at}` }));
  const groups = groupMessagesPerPartition({
    topic: 't',
    partitionMetadata: [{}, {}, {}],
    messages,
    partitioner: ({ message }) => message.partition,
  });
  expect(Object.keys(groups)).toEqual(['0', '1', '2']);
  for (const partition of [0, 1, 2]) {
    expect(groups[partition]).toEqual(messages.filter((message) => message.partition === partition));
  }
});
