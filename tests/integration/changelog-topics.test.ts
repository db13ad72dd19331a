/**
 * What a restart costs is what a changelog holds: every changelog topic carries the compaction
 * configs that keep it near its state's size, including one an older processor created.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHANGELOG_TOPIC_CONFIGS } from '../../processor/runtime/changelog.ts';
import { MARKET_BARS_TOPIC } from '../../streams/markets/schema.ts';
import {
  isolatedRun,
  kafka,
  programLog,
  startPipelines,
  stopGracefully,
  waitFor,
} from '../support/harness.ts';

const PORT = 19600;
const admin = kafka.admin();

beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

test('changelogs get the compaction configs, a changelog created before them too', async () => {
  const { prefix, keyspace } = isolatedRun();
  const changelog = (pipeline: string) =>
    `${prefix}${prefix}processor-${pipeline}-${MARKET_BARS_TOPIC}-changelog`;
  // As processors before these configs made them: compacted, nothing more.
  await admin.ensureTopics([{ topic: changelog('bollinger'), compacted: true }]);
  const names = Object.keys(CHANGELOG_TOPIC_CONFIGS);
  expect((await admin.topicConfigs(changelog('bollinger'), names)).get('segment.ms')).not.toBe(
    CHANGELOG_TOPIC_CONFIGS['segment.ms'],
  );

  const processor = startPipelines(
    'bollinger,aroon',
    { prefix, instance: 'changelog-test', port: PORT },
    { CASSANDRA_KEYSPACE_MARKETS: keyspace },
    'changelog-topics.log',
  );
  try {
    const configsOf = async (topic: string) =>
      (await admin.listTopics()).includes(topic)
        ? Object.fromEntries(await admin.topicConfigs(topic, names))
        : undefined;
    for (const pipeline of ['bollinger', 'aroon']) {
      const configs = await waitFor(
        () => configsOf(changelog(pipeline)),
        (found) => names.every((name) => found?.[name] === CHANGELOG_TOPIC_CONFIGS[name]),
        120_000,
      ).catch(() => configsOf(changelog(pipeline)));
      expect(configs, `${pipeline}'s changelog; ${programLog('changelog-topics.log', 2000)}`).toEqual(
        CHANGELOG_TOPIC_CONFIGS,
      );
    }
  } finally {
    await stopGracefully(processor);
  }
});
