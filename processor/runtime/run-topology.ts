import type { Logger } from 'pino';
import type { CassandraStore } from '../../common/cassandra.ts';
import {
  trackConsumerLag,
  type GroupConsumer,
  type KafkaAdmin,
  type KafkaClient,
} from '../../common/kafka.ts';
import type { SourceRecord } from '../../common/records.ts';
import type { SourceNode, Topology } from '../dsl/topology.ts';
import { initialisePipelineSeries, type ProcessorMetrics } from '../metrics.ts';
import { ChunkCommitter } from './committer.ts';
import { PartitionOwnership, taskKey } from './ownership.ts';
import { PartitionProducers, oversizedRecords } from './producers.ts';
import { RunnerMetrics, rowsByTable } from './runner-metrics.ts';
import { SinkRetry } from './sink-retry.ts';
import { prepareTopics, sourceNodes } from './topics.ts';

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
  store: Pick<CassandraStore, 'upsert'>;
  metrics: ProcessorMetrics;
  log: Logger;
  settings: RuntimeSettings;
  /** Aborted on SIGTERM: a write still being retried then gives up, uncommitted, to be redone after a restart. */
  stop: AbortSignal;
}

/** kafkajs sends a heartbeat only once its interval has passed: asking every second costs nothing. */
const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * Runs one topology: its own consumer group over its sources, a task per source partition with
 * state restored from the changelog when the partition is claimed, and per micro-batch one
 * Cassandra write followed by one Kafka transaction (outputs, changelog, offsets). This is the
 * consumer loop; the parts it composes own the rest: which partitions are owned
 * (./ownership.ts), the commit (./committer.ts), retrying a failing sink (./sink-retry.ts), the
 * metrics of committed chunks (./runner-metrics.ts) and the topics (./topics.ts).
 */
export class TopologyRunner {
  readonly groupId: string;
  readonly consumer: GroupConsumer;
  private readonly producers: PartitionProducers;
  private readonly ownership: PartitionOwnership;
  private readonly committer: ChunkCommitter;
  private readonly retry: SinkRetry;
  private readonly runnerMetrics: RunnerMetrics;
  private readonly partitionWork = new Map<string, Promise<void>>();
  private readonly nodes: ReadonlyMap<string, SourceNode<unknown>>;
  private lagTimers: NodeJS.Timeout[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly deps: RuntimeDeps,
  ) {
    const { kafka, admin, metrics, log, settings, stop } = deps;
    const pipeline = topology.name;
    this.groupId = `${settings.groupPrefix}-${topology.name}`;
    this.nodes = sourceNodes(topology, settings);
    this.producers = new PartitionProducers(kafka, admin, this.groupId, this.groupId);
    this.committer = new ChunkCommitter(this.producers, this.groupId, pipeline, metrics, log);
    this.ownership = new PartitionOwnership({
      topology,
      nodes: this.nodes,
      settings,
      kafka,
      admin,
      producers: this.producers,
      committer: this.committer,
      metrics,
      log,
    });
    this.retry = new SinkRetry(pipeline, metrics, log, stop);
    this.runnerMetrics = new RunnerMetrics(pipeline, metrics, this.nodes, settings.lateAfterMs);
    // read_committed: only what committed transactions produced is ever processed. The session
    // timeout bounds how long a crashed instance's partitions wait before another takes them.
    this.consumer = kafka.groupConsumer({
      groupId: this.groupId,
      maxWaitMs: settings.batchMaxWaitMs,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      maxBytesPerPartition: settings.fetchMaxBytesPerPartition,
    });
  }

  /** Creates missing topics; each changelog gets as many partitions as its source has. */
  async prepareTopics(): Promise<void> {
    this.ownership.partitionCounts = await prepareTopics(this.deps.admin, this.topology, this.deps.settings);
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
      void this.ownership
        .forgetRevoked(assignment)
        .then(() => this.runnerMetrics.updateStateGauge(this.ownership.ownedTasks()));
    });
    // A fetch that held only transaction markers or aborted records never reaches eachBatch,
    // but the consumer moves past it: the task follows, and commits there so that lag reads 0.
    this.consumer.onFetchEnd(({ topic, partition, lastOffset, records }) => {
      if (records > 0) return;
      void this.serially(topic, partition, () => this.ownership.skipFiltered(topic, partition, lastOffset));
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

  async stop(): Promise<void> {
    for (const timer of this.lagTimers) clearInterval(timer);
    await this.consumer.disconnect();
    await this.producers.releaseAll();
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
    const owned = await this.retry.untilWritten(
      'kafka',
      () => this.ownership.taskFor(topic, partition),
      chunk,
    );
    if (owned.nextOffset !== undefined && !continuesFrom(owned.nextOffset, fetchedFrom, firstOffset)) {
      // The state has consumed up to elsewhere (a committed offset after a claim, or a batch
      // fetched before a failed commit): carry on from where the state is.
      this.consumer.seek(topic, partition, owned.nextOffset);
      return 'lost';
    }
    const timer = this.runnerMetrics.batchTimer();
    const effects = owned.task.runBatch(records);
    this.committer.setAside(effects, oversizedRecords(effects.outputs));
    const refusedRows = await this.retry.untilWritten(
      'cassandra',
      () => this.deps.store.upsert(effects.rows),
      chunk,
    );
    this.committer.reportRefusedRows(refusedRows, chunk);
    const writtenRows = rowsByTable(effects.rows, refusedRows);
    const storedAt = Date.now();
    const committed = await this.retry.untilWritten(
      'kafka',
      () => this.committer.commit(effects, chunk, isStale),
      chunk,
    );
    if (!committed) {
      await this.ownership.dropTask(topic, partition);
      return 'lost';
    }
    owned.nextOffset = nextOffset;
    this.runnerMetrics.observe(topic, effects, storedAt);
    this.runnerMetrics.updateStateGauge(this.ownership.ownedTasks());
    this.runnerMetrics.countRowsWritten(writtenRows);
    timer();
    return 'done';
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
