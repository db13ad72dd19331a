import { expect, test } from 'vitest';
import { CHANGELOG_TOPIC_CONFIGS } from '../../processor/runtime/changelog.ts';
import { prepareTopics, sourceTopics, topicsToEnsure } from '../../processor/runtime/topics.ts';
import { FakeBroker, FakeKafka } from './runtime-fakes.ts';
import { NAMING, sightings, wordCounts } from './runtime-topologies.ts';

const CHANGELOG = 'test.processor-counts-words-changelog';

test("a source's topics carry the prefix; a stateful one's changelog the consumer group too", () => {
  const counts = sourceTopics(wordCounts, wordCounts.sources[0]!, NAMING);
  expect(counts).toMatchObject({
    source: 'test.words',
    deadLetters: 'test.words.dlq',
    late: 'test.words.late',
    changelog: CHANGELOG,
  });
  expect(counts.name('word-counts')).toBe('test.word-counts');
  // A shared source's side topics are the pipeline's own; a stateless node has no changelog.
  const shared = sourceTopics(sightings, sightings.sources[0]!, NAMING);
  expect(shared).toMatchObject({
    source: 'test.words',
    deadLetters: 'test.words.sightings.dlq',
    late: 'test.words.sightings.late',
  });
  expect(shared.changelog).toBeUndefined();
});

test('the topics to ensure: outputs, sources and their dead letters, late records only where stateful', () => {
  expect(topicsToEnsure(wordCounts, NAMING)).toEqual([
    { topic: 'test.word-counts', partitions: 2 },
    { topic: 'test.words', partitions: 2 },
    { topic: 'test.words.dlq', partitions: 2 },
    { topic: 'test.words.late', partitions: 2 },
  ]);
  expect(topicsToEnsure(sightings, NAMING)).toEqual([
    { topic: 'test.words', partitions: 2 },
    { topic: 'test.words.sightings.dlq', partitions: 2 },
  ]);
});

test("a changelog gets its source's partitions as the cluster has them, and its configs when they differ", async () => {
  const broker = new FakeBroker();
  const admin = new FakeKafka(broker).admin();
  // The source exists with more partitions than the topology would create it with, and the
  // changelog with a config changed by hand.
  await admin.ensureTopics([
    { topic: 'test.words', partitions: 4 },
    { topic: CHANGELOG, partitions: 4, configs: { ...CHANGELOG_TOPIC_CONFIGS, 'cleanup.policy': 'delete' } },
  ]);
  broker.ensured.length = 0;

  expect(await prepareTopics(admin, wordCounts, NAMING)).toEqual(new Map([['test.words', 4]]));
  expect(broker.ensured.map(({ topic }) => topic)).toEqual([
    ...topicsToEnsure(wordCounts, NAMING).map(({ topic }) => topic),
    CHANGELOG,
  ]);
  expect(broker.ensured.at(-1)).toEqual({
    topic: CHANGELOG,
    partitions: 4,
    configs: CHANGELOG_TOPIC_CONFIGS,
  });
  expect(broker.configsSet).toEqual([CHANGELOG]);
  expect(Object.fromEntries(broker.configs.get(CHANGELOG)!)).toEqual(CHANGELOG_TOPIC_CONFIGS);

  // Prepared again, the configs are as chosen: nothing to set.
  await prepareTopics(admin, wordCounts, NAMING);
  expect(broker.configsSet).toEqual([CHANGELOG]);
});
