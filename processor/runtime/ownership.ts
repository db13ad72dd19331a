/**
 * Which source partitions this instance owns, as Kafka Streams' TaskManager and
 * StoreChangelogReader keep it: a partition is claimed (fencing its previous owner) and its
 * task's state restored from the changelog before its first chunk; it is forgotten once revoked
 * or once a commit finds it lost; and its task moves past records the consumer filters out.
 */
import type { Logger } from 'pino';
import type { KafkaAdmin, KafkaClient } from '../../common/kafka.ts';
import { noEffects, Task } from '../dsl/task.ts';
import type { SourceNode, Topology } from '../dsl/topology.ts';
import type { ProcessorMetrics } from '../metrics.ts';
import { restoreFromChangelog } from './changelog.ts';
import type { ChunkCommitter } from './committer.ts';
import type { PartitionProducers } from './producers.ts';
import { sourceTopics, type TopicNaming } from './topics.ts';

export interface OwnedTask {
  task: Task<unknown>;
  /** The offset the task's state has consumed up to: where its next chunk must start. */
  nextOffset?: string;
}

export interface OwnershipDeps {
  topology: Topology;
  /** The topology's source nodes by their deployed topic. */
  nodes: ReadonlyMap<string, SourceNode<unknown>>;
  settings: TopicNaming;
  kafka: KafkaClient;
  admin: KafkaAdmin;
  producers: PartitionProducers;
  committer: ChunkCommitter;
  metrics: ProcessorMetrics;
  log: Logger;
}

export class PartitionOwnership {
  private readonly tasks = new Map<string, OwnedTask>();
  /** Partitions of each source topic, as the cluster knows them once the topics are prepared. */
  partitionCounts: ReadonlyMap<string, number> = new Map();

  constructor(private readonly deps: OwnershipDeps) {}

  /** The tasks of every partition owned now. */
  *ownedTasks(): Iterable<Task<unknown>> {
    for (const { task } of this.tasks.values()) yield task;
  }

  /** The task of a partition, claiming the partition and restoring its state first when new. */
  async taskFor(topic: string, partition: number): Promise<OwnedTask> {
    const key = taskKey(topic, partition);
    const owned = this.tasks.get(key);
    if (owned !== undefined) return owned;
    const { topology, nodes, settings, kafka, admin, producers, metrics, log } = this.deps;
    const pipeline = topology.name;
    const node = nodes.get(topic)!;
    // A task always starts from a claim of its own: fencing every other producer first is what
    // makes the committed offset and the changelog read after it describe the same work. A
    // producer still held (a chunk in flight when a rebalance dropped its task, which committed
    // afterwards) is let go, so that neither a fetch from before that commit is applied again to
    // state that holds it, nor another owner's later commits are missed.
    await producers.release(topic, partition);
    const claim = await producers.claim(topic, partition);
    metrics.partitionClaims.inc({ pipeline, topic });
    const topics = sourceTopics(topology, node, settings);
    let restored;
    if (topics.changelog !== undefined) {
      const timer = metrics.stateRestore.startTimer({ pipeline });
      restored = await restoreFromChangelog(kafka, admin, topics.changelog, partition);
      timer();
      metrics.stateRestoredRecords.inc({ pipeline }, restored.records);
      log.info(
        { pipeline, topic, partition, records: restored.records },
        'state restored from the changelog',
      );
    }
    const task = new Task(node, partition, this.partitionCounts.get(topic) ?? 1, topics, restored?.state);
    const entry: OwnedTask = {
      task,
      ...(claim.resumeFrom !== undefined && { nextOffset: claim.resumeFrom }),
    };
    this.tasks.set(key, entry);
    return entry;
  }

  /** Partitions given to another member since: their state is theirs now. */
  async forgetRevoked(assignment: Record<string, readonly number[]>): Promise<void> {
    for (const key of [...this.tasks.keys()]) {
      const [topic, partition] = splitKey(key);
      if (assignment[topic]?.includes(partition)) continue;
      this.tasks.delete(key);
      await this.deps.producers.release(topic, partition);
    }
  }

  async dropTask(topic: string, partition: number): Promise<void> {
    this.tasks.delete(taskKey(topic, partition));
    await this.deps.producers.release(topic, partition);
  }

  /** Moves a task past records it will never see (markers, aborted records) and commits there. */
  async skipFiltered(topic: string, partition: number, lastOffset: string): Promise<void> {
    const owned = this.tasks.get(taskKey(topic, partition));
    if (owned === undefined) return;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    const from = owned.nextOffset;
    if (from !== undefined && BigInt(from) >= BigInt(nextOffset)) return;
    owned.nextOffset = nextOffset;
    if (from === undefined) return;
    const committed = await this.deps.committer
      .commit(noEffects(), { topic, partition, firstOffset: from, nextOffset }, () => false)
      .catch(() => false);
    if (!committed) await this.dropTask(topic, partition);
  }
}

/** One key per source partition: its tasks, and the work queued on it. */
export function taskKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
