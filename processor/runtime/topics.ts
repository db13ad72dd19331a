/**
 * A topology's topics as deployed: their names (prefixed, the changelog's carrying the consumer
 * group), and creating those the runtime needs before it consumes.
 */
import type { KafkaAdmin, TopicSpec } from '../../common/kafka.ts';
import { sideTopics, type SourceNode, type Topology } from '../dsl/topology.ts';
import { CHANGELOG_TOPIC_CONFIGS } from './changelog.ts';

/** The runtime settings that name a deployment's topics. */
export interface TopicNaming {
  groupPrefix: string;
  topicPrefix: string;
}

/** The deployed names of one source's topics. */
export function sourceTopics(topology: Topology, node: SourceNode<unknown>, settings: TopicNaming) {
  const name = (topic: string) => `${settings.topicPrefix}${topic}`;
  const side = sideTopics(topology.name, node);
  return {
    name,
    source: name(node.topic),
    deadLetters: name(side.deadLetters),
    late: name(side.late),
    ...(node.stateful && {
      changelog: `${settings.topicPrefix}${settings.groupPrefix}-${topology.name}-${node.topic}-changelog`,
    }),
  };
}

/** The topology's source nodes by their deployed topic. */
export function sourceNodes(topology: Topology, settings: TopicNaming): Map<string, SourceNode<unknown>> {
  const nodes = new Map<string, SourceNode<unknown>>();
  for (const node of topology.sources) nodes.set(sourceTopics(topology, node, settings).source, node);
  return nodes;
}

/** Every topic the topology reads or writes, as it must exist before consuming. */
export function topicsToEnsure(topology: Topology, settings: TopicNaming): TopicSpec[] {
  const specs: TopicSpec[] = topology.outputs.map(({ topic, partitions }) => ({
    topic: `${settings.topicPrefix}${topic}`,
    partitions,
  }));
  for (const node of topology.sources) {
    const topics = sourceTopics(topology, node, settings);
    specs.push(
      { topic: topics.source, partitions: node.partitions, ...(node.compacted && { compacted: true }) },
      { topic: topics.deadLetters, partitions: node.partitions },
      ...(node.stateful ? [{ topic: topics.late, partitions: node.partitions }] : []),
    );
  }
  return specs;
}

/**
 * Creates missing topics; each changelog gets as many partitions as its source has. Resolves to
 * the partitions of each source topic, as the cluster knows them.
 */
export async function prepareTopics(
  admin: KafkaAdmin,
  topology: Topology,
  settings: TopicNaming,
): Promise<Map<string, number>> {
  await admin.ensureTopics(topicsToEnsure(topology, settings));
  const partitions = await admin.partitionCounts([...sourceNodes(topology, settings).keys()]);
  const changelogs = topology.sources.flatMap((node) => {
    const { source, changelog } = sourceTopics(topology, node, settings);
    return changelog === undefined
      ? []
      : [{ topic: changelog, partitions: partitions.get(source)!, configs: CHANGELOG_TOPIC_CONFIGS }];
  });
  await admin.ensureTopics(changelogs);
  // Changelogs made before these configs were chosen (or changed by hand) get them too.
  const names = Object.keys(CHANGELOG_TOPIC_CONFIGS);
  for (const { topic } of changelogs) {
    const current = await admin.topicConfigs(topic, names);
    if (names.some((name) => current.get(name) !== CHANGELOG_TOPIC_CONFIGS[name])) {
      await admin.setTopicConfigs(topic, CHANGELOG_TOPIC_CONFIGS);
    }
  }
  return partitions;
}
