/**
 * What a stream is to the stack: one manifest per stream, in streams/<name>/manifest.ts, listed
 * once in streams/index.ts. Every deployable (processor, batch, generators, Grafana provisioning,
 * services/start, bench) folds over that list, so shared code names no stream.
 */
import type { Command } from 'commander';
import type { Registry } from 'prom-client';
import type { BatchStream } from '../batch/stream.ts';
import type { EventTimeRange } from '../common/decode.ts';
import type { StreamDefinition } from '../generators/streams.ts';
import type { AlertRuleSpec } from '../grafana/alerts.ts';
import type { Dashboard } from '../grafana/model.ts';
import type { Topology } from '../processor/dsl/topology.ts';

/** Builds one pipeline's topology; its metrics go to `registry`. */
export type PipelineFactory = (registry: Registry, eventTimes: EventTimeRange) => Topology;

/** A stream once its settings are read and checked: what the processor and the batch service run. */
export interface ConfiguredStream {
  /** The keyspace its pipelines write and its batch part reads (CASSANDRA_KEYSPACE_<STREAM>). */
  keyspace: string;
  /** Its pipelines by name: each is its own consumer group, so any subset can run. */
  pipelines: Readonly<Record<string, PipelineFactory>>;
  /** Its scheduled jobs and query-API routes. */
  batch: BatchStream;
}

export interface StreamManifest {
  /**
   * The one name of the stream: its generator and bench subcommands, its keyspace, its
   * dashboard's uid and file, the prefix of its settings. Lowercase letters, digits and dashes.
   */
  readonly name: string;
  /** Earlier names of its generator and bench subcommands, accepted for one release with a line on stderr. */
  readonly deprecatedNames?: readonly string[];
  /** Reads and checks the stream's settings (readStreamSettings); throws naming the first bad one. */
  configure(env: NodeJS.ProcessEnv): ConfiguredStream;
  readonly generator: StreamDefinition;
  /** Its dashboards; the first is the stream's own, uid `name`. */
  readonly dashboards: readonly Dashboard[];
  readonly alertRules: readonly AlertRuleSpec[];
  /** Programs of its own that run beside the processor and the batch service (its alert notifier). */
  readonly programs?: readonly { name: string; /** Path from the project root. */ entry: string }[];
  /**
   * Its benches by subcommand, each given its options and action: `bench <name>` is the stream's
   * own; a stream without one has no bench.
   */
  readonly benches?: Readonly<Record<string, (command: Command) => void>>;
}
