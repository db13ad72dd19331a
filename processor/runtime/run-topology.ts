import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { retryUntilDone } from '../../common/backoff.ts';
import type { CassandraStore, RefusedRow, Row } from '../../common/cassandra.ts';
import {
  kafkaErrorKind,
  trackConsumerLag,
  type GroupConsumer,
  type KafkaAdmin,
  type KafkaClient,
  type TopicSpec,
} from '../../common/kafka.ts';
import type { SourceRecord } from '../../common/records.ts';
import { noEffects, Task, type BatchEffects } from '../dsl/task.ts';
import { sideTopics, type SourceNode, type Topology } from '../dsl/topology.ts';
import { initialisePipelineSeries, type ProcessorMetrics } from '../metrics.ts';
import { CHANGELOG_TOPIC_CONFIGS, restoreFromChangelog } from './changelog.ts';
import {
  PartitionProducers,
  commitTransaction,
  oversizedRecords,
  recordBytes,
  refusedRecords,
  type UnwritableRecord,
} from './producers.ts';

export interface RuntimeSettings {
  /** Each topology's consumer group is `<groupPrefix>-<topology name>`. */
  groupPrefix: string;
  topicPrefix: string;
  batchMaxRecords: number;
  batchMaxWaitMs: number;
  fetchMaxBytesPerPartition: number;
  partitionsConcurrently: number;
  sessionTimeoutMs: number;
  /** A record stored this long after its event time counts as late, although stored. */
  lateAfterMs: number;
}

export interface RuntimeDeps {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  /** Writes into the topology's own keyspace. */
  store: CassandraStore;
  metrics: ProcessorMetrics;
  log: Logger;
  settings: RuntimeSettings;
  /** Aborted on SIGTERM: a write still being retried then gives up, uncommitted, to be redone after a restart. */
  stop: AbortSignal;
}

/** The deployed names of one source's topics. */
export function sourceTopics(topology: Topology, node: SourceNode<unknown>, settings: RuntimeSettings) {
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

/** kafkajs sends a heartbeat only once its interval has passed: asking every second costs nothing. */
const HEARTBEAT_INTERVAL_MS = 1000;

interface OwnedTask {
  task: Task<unknown>;
  /** The offset the task's state has consumed up to: where its next chunk must start. */
  nextOffset?: string;
}

/**
 * Runs one topology: its own consumer group over its sources, a task per source partition with
 * state restored from the changelog when the partition is claimed, and per micro-batch one
 * Cassandra write followed by one Kafka transaction (outputs, changelog, offsets).
 */
export class TopologyRunner {
  readonly groupId: string;
  readonly consumer: GroupConsumer;
  private readonly producers: PartitionProducers;
  private readonly tasks = new Map<string, OwnedTask>();
  private readonly partitionWork = new Map<string, Promise<void>>();
  private readonly nodes = new Map<string, SourceNode<unknown>>();
  private partitions = new Map<string, number>();
  private lagTimers: NodeJS.Timeout[] = [];
  /**
   * Batches the broker has refused records of: their retry sends a record per request, as
   * records that each fit may still exceed a topic's smaller limit together.
   */
  private readonly sendSingly = new WeakSet<BatchEffects>();

  constructor(
    private readonly topology: Topology,
    private readonly deps: RuntimeDeps,
  ) {
    const { kafka, admin, settings } = deps;
    this.groupId = `${settings.groupPrefix}-${topology.name}`;
    for (const node of topology.sources) this.nodes.set(sourceTopics(topology, node, settings).source, node);
    this.producers = new PartitionProducers(kafka, admin, this.groupId, this.groupId);
    // read_committed: only what committed transactions produced is ever processed. The session
    // timeout bounds how long a crashed instance's partitions wait before another takes them.
    this.consumer = kafka.groupConsumer({
      groupId: this.groupId,
      maxWaitMs: settings.batchMaxWaitMs,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      maxBytesPerPartition: settings.fetchMaxBytesPerPartition,
    });
  }

  /** Every topic the topology reads or writes, as it must exist before consuming. */
  topicsToEnsure(): TopicSpec[] {
    const { topology, deps } = this;
    const specs: TopicSpec[] = topology.outputs.map(({ topic, partitions }) => ({
      topic: `${deps.settings.topicPrefix}${topic}`,
      partitions,
    }));
    for (const node of topology.sources) {
      const topics = sourceTopics(topology, node, deps.settings);
      specs.push(
        { topic: topics.source, partitions: node.partitions, ...(node.compacted && { compacted: true }) },
        { topic: topics.deadLetters, partitions: node.partitions },
        ...(node.stateful ? [{ topic: topics.late, partitions: node.partitions }] : []),
      );
    }
    return specs;
  }

  /** Creates missing topics; each changelog gets as many partitions as its source has. */
  async prepareTopics(): Promise<void> {
    const { admin, settings } = this.deps;
    await admin.ensureTopics(this.topicsToEnsure());
    this.partitions = await admin.partitionCounts([...this.nodes.keys()]);
    const changelogs = this.topology.sources.flatMap((node) => {
      const { source, changelog } = sourceTopics(this.topology, node, settings);
      return changelog === undefined
        ? []
        : [{ topic: changelog, partitions: this.partitions.get(source)!, configs: CHANGELOG_TOPIC_CONFIGS }];
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
  }

  /**
   * Connects once the group's coordinator answers: on a broker just started it is still loading
   * its offsets topic, and a consumer group that joins then stops for good (kafkajs counts a
   * coordinator not found as final), where this call fails and is retried like any start step.
   */
  async connect(): Promise<void> {
    await this.deps.admin.describeGroup(this.groupId);
    await this.consumer.connect();
  }

  async run(): Promise<void> {
    const { metrics, admin, log } = this.deps;
    const pipeline = this.topology.name;
    initialisePipelineSeries(metrics, pipeline, [...this.nodes.keys()]);
    this.consumer.onAssignment((assignment) => {
      void this.forgetRevoked(assignment);
    });
    // A fetch that held only transaction markers or aborted records never reaches eachBatch,
    // but the consumer moves past it: the task follows, and commits there so that lag reads 0.
    this.consumer.onFetchEnd(({ topic, partition, lastOffset, records }) => {
      if (records > 0) return;
      void this.serially(topic, partition, () => this.skipFiltered(topic, partition, lastOffset));
    });
    await this.consumer.subscribe([...this.nodes.keys()]);
    for (const topic of this.nodes.keys()) {
      const setLag = (labels: { topic: string; partition: string }, lag: number) =>
        metrics.consumerLag.set({ ...labels, pipeline }, lag);
      this.lagTimers.push(trackConsumerLag(admin, this.groupId, topic, setLag, log));
    }
    await this.consumer.run({
      partitionsConcurrently: this.deps.settings.partitionsConcurrently,
      eachBatch: (batch) =>
        this.serially(batch.topic, batch.partition, async () => {
          const { batchMaxRecords } = this.deps.settings;
          const { heartbeat, isStale } = batch;
          // The group must hear from this member all through a batch, not only between its
          // chunks: a restore of a large changelog, a first write while Cassandra prepares its
          // statements or a sink outage can outlast the session, and a member gone silent
          // loses its partitions and begins the same work again after the next assignment.
          const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_INTERVAL_MS);
          try {
            for (let start = 0; start < batch.records.length; start += batchMaxRecords) {
              if (!batch.isRunning() || isStale()) return;
              const records = batch.records.slice(start, start + batchMaxRecords);
              const next = await this.processChunk(records, batch.fetchedFrom, isStale);
              if (next !== 'done') return;
              batch.resolveOffset(records[records.length - 1]!.offset);
              // Heard here, a rebalance ends the batch.
              await heartbeat();
            }
          } finally {
            clearInterval(keepAlive);
          }
        }),
    });
  }

  /** Work on one partition never overlaps: its batches and its marker skips go one after another. */
  private serially(topic: string, partition: number, work: () => Promise<void>): Promise<void> {
    const key = taskKey(topic, partition);
    const next = (this.partitionWork.get(key) ?? Promise.resolve()).then(work);
    const settled = next.catch(() => undefined);
    this.partitionWork.set(key, settled);
    void settled.then(() => {
      if (this.partitionWork.get(key) === settled) this.partitionWork.delete(key);
    });
    return next;
  }

  /** Moves a task past records it will never see (markers, aborted records) and commits there. */
  private async skipFiltered(topic: string, partition: number, lastOffset: string): Promise<void> {
    const owned = this.tasks.get(taskKey(topic, partition));
    if (owned === undefined) return;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    const from = owned.nextOffset;
    if (from !== undefined && BigInt(from) >= BigInt(nextOffset)) return;
    owned.nextOffset = nextOffset;
    if (from === undefined) return;
    const committed = await this.commit(
      owned,
      noEffects(),
      { topic, partition, firstOffset: from, nextOffset },
      () => false,
    ).catch(() => false);
    if (!committed) await this.dropTask(topic, partition);
  }

  async stop(): Promise<void> {
    for (const timer of this.lagTimers) clearInterval(timer);
    await this.consumer.disconnect();
    await this.producers.releaseAll();
  }

  /** Partitions given to another member since: their state is theirs now. */
  private async forgetRevoked(assignment: Record<string, readonly number[]>): Promise<void> {
    for (const key of [...this.tasks.keys()]) {
      const [topic, partition] = splitKey(key);
      if (assignment[topic]?.includes(partition)) continue;
      this.tasks.delete(key);
      await this.producers.release(topic, partition);
    }
    this.updateStateGauge();
  }

  private updateStateGauge(): void {
    let entries = 0;
    for (const { task } of this.tasks.values()) entries += task.stateSize;
    this.deps.metrics.stateEntries.set({ pipeline: this.topology.name }, entries);
  }

  /** The task of a partition, claiming the partition and restoring its state first when new. */
  private async taskFor(topic: string, partition: number): Promise<OwnedTask> {
    const key = taskKey(topic, partition);
    const owned = this.tasks.get(key);
    if (owned !== undefined) return owned;
    const { kafka, admin, metrics, log, settings } = this.deps;
    const pipeline = this.topology.name;
    const node = this.nodes.get(topic)!;
    // A task always starts from a claim of its own: fencing every other producer first is what
    // makes the committed offset and the changelog read after it describe the same work. A
    // producer still held (a chunk in flight when a rebalance dropped its task, which committed
    // afterwards) is let go, so that neither a fetch from before that commit is applied again to
    // state that holds it, nor another owner's later commits are missed.
    await this.producers.release(topic, partition);
    const claim = await this.producers.claim(topic, partition);
    metrics.partitionClaims.inc({ pipeline, topic });
    const topics = sourceTopics(this.topology, node, settings);
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
    const task = new Task(node, partition, this.partitions.get(topic) ?? 1, topics, restored?.state);
    const entry: OwnedTask = {
      task,
      ...(claim.resumeFrom !== undefined && { nextOffset: claim.resumeFrom }),
    };
    this.tasks.set(key, entry);
    return entry;
  }

  private async dropTask(topic: string, partition: number): Promise<void> {
    this.tasks.delete(taskKey(topic, partition));
    await this.producers.release(topic, partition);
  }

  /** Retries a sink write until it is accepted, pausing this partition meanwhile. */
  private untilWritten<T>(
    sink: 'cassandra' | 'kafka',
    write: () => Promise<T>,
    chunk: { topic: string; partition: number; firstOffset: string },
  ): Promise<T> {
    const { metrics, log, stop } = this.deps;
    const pipeline = this.topology.name;
    return retryUntilDone(write, {
      onFailure(error, attempt) {
        metrics.writeErrors.inc({ pipeline, sink });
        if (attempt > 0) return;
        metrics.paused.set({ pipeline }, 1);
        log.warn(
          {
            pipeline,
            sink,
            topic: chunk.topic,
            partition: chunk.partition,
            offset: chunk.firstOffset,
            err: error,
          },
          `${sink} write for ${chunk.topic}[${chunk.partition}] from offset ${chunk.firstOffset} failed; pausing this partition and retrying with backoff`,
        );
      },
      onRecovered(attempts) {
        metrics.paused.set({ pipeline }, 0);
        log.info({ pipeline, sink, attempts }, `${sink} accepts writes again; resuming`);
      },
      async wait(ms) {
        stop.throwIfAborted();
        await sleep(ms, undefined, { signal: stop });
      },
    });
  }

  /**
   * One micro-batch of one partition: 'done' once its effects are committed; 'lost' when the
   * partition went to another owner (or must be read again from elsewhere) and the batch is not ours.
   */
  private async processChunk(
    records: SourceRecord[],
    fetchedFrom: string,
    isStale: () => boolean,
  ): Promise<'done' | 'lost'> {
    const { topic, partition } = records[0]!;
    const firstOffset = records[0]!.offset;
    const nextOffset = (BigInt(records[records.length - 1]!.offset) + 1n).toString();
    const chunk = { topic, partition, firstOffset, nextOffset };
    const owned = await this.untilWritten('kafka', () => this.taskFor(topic, partition), chunk);
    if (owned.nextOffset !== undefined && !continuesFrom(owned.nextOffset, fetchedFrom, firstOffset)) {
      // The state has consumed up to elsewhere (a committed offset after a claim, or a batch
      // fetched before a failed commit): carry on from where the state is.
      this.consumer.seek(topic, partition, owned.nextOffset);
      return 'lost';
    }
    const timer = this.deps.metrics.batchDuration.startTimer({ pipeline: this.topology.name });
    const effects = owned.task.runBatch(records);
    this.setAside(effects, oversizedRecords(effects.outputs));
    const refusedRows = await this.untilWritten(
      'cassandra',
      () => this.deps.store.upsert(effects.rows),
      chunk,
    );
    this.reportRefusedRows(refusedRows, chunk);
    const writtenRows = rowsByTable(effects.rows, refusedRows);
    const storedAt = Date.now();
    const committed = await this.untilWritten(
      'kafka',
      () => this.commit(owned, effects, chunk, isStale),
      chunk,
    );
    if (!committed) {
      await this.dropTask(topic, partition);
      return 'lost';
    }
    owned.nextOffset = nextOffset;
    this.observe(topic, effects, storedAt);
    for (const [table, rows] of writtenRows)
      this.deps.metrics.rowsWritten.inc({ pipeline: this.topology.name, table }, rows);
    timer();
    return 'done';
  }

  /**
   * Commits a chunk's records, changelog and offset in one transaction of its partition's
   * producer. False when the partition has gone to another owner: its state here is stale.
   */
  private async commit(
    owned: OwnedTask,
    effects: BatchEffects,
    chunk: { topic: string; partition: number; firstOffset: string; nextOffset: string },
    isStale: () => boolean,
  ): Promise<boolean> {
    const { topic, partition, firstOffset, nextOffset } = chunk;
    const { metrics, log } = this.deps;
    const pipeline = this.topology.name;
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
  private setAside(effects: BatchEffects, unwritable: UnwritableRecord[]): void {
    if (unwritable.length === 0) return;
    const { metrics, log } = this.deps;
    const pipeline = this.topology.name;
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
  private reportRefusedRows(
    refused: RefusedRow[],
    chunk: { topic: string; partition: number; firstOffset: string; nextOffset: string },
  ): void {
    const { metrics, log } = this.deps;
    const pipeline = this.topology.name;
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

  private observe(topic: string, effects: BatchEffects, storedAt: number): void {
    const { metrics, settings } = this.deps;
    const pipeline = this.topology.name;
    const stateless = !this.nodes.get(topic)!.stateful;
    let storedLate = 0;
    for (const eventTime of effects.storedEventTimes) {
      const ageMs = storedAt - eventTime;
      metrics.eventToStore.observe({ pipeline }, Math.max(0, ageMs / 1000));
      if (ageMs > settings.lateAfterMs) storedLate += 1;
    }
    // A stateless node stores each event as a fact of its own, late or not; stored later than a
    // statistic over its hour may have been computed, it counts as late. A windowed node never
    // merges a late event: those are counted where they are set aside.
    const onTime = stateless ? Math.max(0, effects.accepted - storedLate) : effects.accepted;
    metrics.records.inc({ pipeline, topic, outcome: 'accepted' }, onTime);
    metrics.records.inc({ pipeline, topic, outcome: 'late' }, effects.late + effects.accepted - onTime);
    metrics.records.inc({ pipeline, topic, outcome: 'rejected' }, effects.rejected);
    metrics.deadLetters.inc({ pipeline, topic }, effects.rejected);
    for (const observe of effects.afterCommit) observe();
    this.updateStateGauge();
  }
}

/**
 * Whether a chunk continues where the state stopped: between the two there may be only records
 * a read_committed consumer never sees (transaction markers, aborted records), which lie from
 * where the fetch started up to the chunk's first record.
 */
export function continuesFrom(stateNext: string, fetchedFrom: string, firstOffset: string): boolean {
  const next = BigInt(stateNext);
  return next >= BigInt(fetchedFrom) && next <= BigInt(firstOffset);
}

/** Rows per table, those Cassandra refused left out. */
function rowsByTable(rows: Row[], refused: RefusedRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { table } of rows) counts.set(table, (counts.get(table) ?? 0) + 1);
  for (const { row } of refused) counts.set(row.table, counts.get(row.table)! - 1);
  return counts;
}

function taskKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
