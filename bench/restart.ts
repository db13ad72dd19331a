/**
 * A restart with state, as a user meets it: one processor running every pipeline while every
 * generator sends at its default rate, as `npm start` runs them, for some minutes; then kill -9
 * and a restart. Measured: how long until each pipeline commits again, how many changelog
 * records each restored and in how long, beside the client alone reading the same changelogs
 * in the same run.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseSamples, sampleValue } from '../common/exposition.ts';
import { cassandraSettings } from '../common/env.ts';
import { pipelineNames, STREAMS } from '../streams/index.ts';
import {
  connectServices,
  printTable,
  processorEnv,
  say,
  scrape,
  serviceAddresses,
  sleep,
  startProcessor,
  stopProgram,
  withCleanup,
  spawnGenerator,
  type BenchServices,
} from './support.ts';

export interface RestartBenchOptions {
  /** How long the stack runs before the kill. */
  minutes: number;
  /** How long the restarted processor is given before the bench gives up on a pipeline. */
  deadlineSeconds: number;
}

const PORT = 20010;
const POLL_MS = 250;
const PROGRESS_EVERY_MS = 60_000;
/** What a restart should cost at most: every pipeline committing again within this long. */
const GOAL_SECONDS = 30;

/** Records each pipeline has committed since its process started (every source, every outcome). */
function committedByPipeline(text: string): Map<string, number> {
  const committed = new Map<string, number>();
  for (const { name, labels, value } of parseSamples(text)) {
    if (name !== 'processor_records_total' || labels['pipeline'] === undefined) continue;
    committed.set(labels['pipeline'], (committed.get(labels['pipeline']) ?? 0) + value);
  }
  return committed;
}

/** Every generator of the stack at its default rate, on the bench's own topics. */
function startGenerators(brokers: string, prefix: string): ChildProcess[] {
  return STREAMS.map(({ name, generator: stream }) =>
    spawnGenerator(name, `${prefix}${stream.defaultTopic}`, brokers, [
      ...(stream.referenceData === undefined
        ? []
        : ['--reference-topic', `${prefix}${stream.referenceData.topic}`]),
    ]),
  );
}

/** Each changelog topic of the run with the offsets it holds (transaction markers included). */
async function changelogRecords(services: BenchServices, prefix: string) {
  const topics = (await services.admin.listTopics()).filter(
    (topic) => topic.startsWith(prefix) && topic.endsWith('-changelog'),
  );
  const sizes = await Promise.all(
    topics.map(async (topic) => {
      const offsets = await services.admin.topicOffsets(topic);
      return {
        topic,
        records: offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0),
      };
    }),
  );
  return sizes;
}

/** Reads a pipeline's changelog partitions from their start to their end now, without a group. */
async function readChangelogs(services: BenchServices, changelogs: { topic: string }[], pipeline: string) {
  let records = 0;
  const began = performance.now();
  for (const { topic } of changelogs.filter(({ topic }) => topic.includes(`-${pipeline}-`))) {
    const offsets = await services.admin.topicOffsets(topic);
    await services.kafka.readPartitions({
      topic,
      partitions: offsets.map(({ partition, low, high }) => ({ partition, from: low, to: high })),
      timeoutMs: 600_000,
      onRecords(batch) {
        records += batch.length;
        return Promise.resolve();
      },
    });
  }
  return { records, seconds: (performance.now() - began) / 1000 };
}

export async function benchRestart({ minutes, deadlineSeconds }: RestartBenchOptions): Promise<void> {
  const services = await connectServices();
  const prefix = `bench-restart-${Date.now().toString(36)}-`;
  const keyspaceSuffix = prefix.replaceAll('-', '_');
  const keyspaceSettings = Object.keys(cassandraSettings).filter((name) =>
    name.startsWith('CASSANDRA_KEYSPACE'),
  );
  const keyspaces = keyspaceSettings.map((_, index) => `${keyspaceSuffix}${index}`);
  const pipelines = pipelineNames();
  const env = processorEnv(
    pipelines.join(','),
    { prefix, group: `${prefix}processor`, port: PORT },
    Object.fromEntries(keyspaceSettings.map((name, index) => [name, keyspaces[index]!])),
  );
  const programs: ChildProcess[] = [];
  // Both processors' logs, for a pipeline that does not come back to be looked into.
  const logFile = path.join(serviceAddresses().dataDir, 'logs', `${prefix}processor.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  say(`the processors log to ${logFile}`);
  await withCleanup(
    services,
    prefix,
    keyspaces,
    () => programs,
    async () => {
      say(`running every pipeline and every generator at its default rate for ${minutes} min`);
      const first = startProcessor(services, env, logFile);
      programs.push(first, ...startGenerators(services.brokers, prefix));
      const killAt = performance.now() + minutes * 60_000;
      let nextProgressAt = performance.now() + PROGRESS_EVERY_MS;
      let beforeKill = '';
      while (performance.now() < killAt) {
        for (const program of programs) {
          if (program.exitCode !== null)
            throw new Error(`a program of the stack exited (${program.exitCode})`);
        }
        if (performance.now() >= nextProgressAt) {
          beforeKill = await scrape(PORT).catch(() => beforeKill);
          const committed = [...committedByPipeline(beforeKill)].map(([name, n]) => `${name} ${n}`);
          say(
            `${Math.round((killAt - performance.now()) / 1000)} s to the kill; committed: ${committed.join(', ')}`,
          );
          nextProgressAt += PROGRESS_EVERY_MS;
        }
        await sleep(1000);
      }
      beforeKill = await scrape(PORT).catch(() => beforeKill);
      await stopProgram(first, 'SIGKILL');
      const changelogs = await changelogRecords(services, prefix);
      say('killed the processor (SIGKILL); restarting it');

      const restartedAt = performance.now();
      const second = startProcessor(services, env, logFile);
      programs.push(second);
      const backAfter = new Map<string, number>();
      let text = '';
      let peakRss = 0;
      while (backAfter.size < pipelines.length) {
        const seconds = (performance.now() - restartedAt) / 1000;
        if (seconds > deadlineSeconds) break;
        if (second.exitCode !== null) throw new Error(`the restarted processor exited (${second.exitCode})`);
        text = await scrape(PORT).catch(() => text);
        peakRss = Math.max(peakRss, sampleValue(text, 'process_resident_memory_bytes') ?? 0);
        for (const [pipeline, committed] of committedByPipeline(text)) {
          if (committed > 0 && !backAfter.has(pipeline)) backAfter.set(pipeline, seconds);
        }
        await sleep(POLL_MS);
      }

      // The same changelogs read by the client alone, as a restore reads them but without a
      // processor around it: what reading costs, beside what restoring cost. (Kafka's own
      // ConsumerPerformance cannot be asked for the right count: compaction goes on.)
      const restoredBy = (pipeline: string) =>
        sampleValue(text, 'processor_state_restored_records_total', { pipeline }) ?? 0;
      const busiest = [...pipelines].sort((a, b) => restoredBy(b) - restoredBy(a))[0]!;
      const raw = restoredBy(busiest) === 0 ? undefined : await readChangelogs(services, changelogs, busiest);

      const rows: [string, string][] = pipelines.map((pipeline) => {
        const restored = sampleValue(text, 'processor_state_restored_records_total', { pipeline }) ?? 0;
        const restoreSeconds = sampleValue(text, 'processor_state_restore_seconds_sum', { pipeline }) ?? 0;
        const back = backAfter.get(pipeline);
        return [
          pipeline,
          `${back === undefined ? `not committing after ${deadlineSeconds} s` : `commits again after ${back.toFixed(1)} s`}; ` +
            `restored ${restored} records in ${restoreSeconds.toFixed(1)} s of restores` +
            (restoreSeconds > 0 ? ` (${Math.round(restored / restoreSeconds)}/s)` : ''),
        ];
      });
      const slowest = Math.max(...pipelines.map((pipeline) => backAfter.get(pipeline) ?? Infinity));
      rows.push(
        [
          'changelog offsets at the kill (markers included)',
          `${changelogs.reduce((sum, { records }) => sum + records, 0)} in ${changelogs.length} topics`,
        ],
        [
          'the client alone reading the same changelogs',
          raw === undefined
            ? 'no pipeline restored anything'
            : `${busiest}'s: ${raw.records} records in ${raw.seconds.toFixed(1)} s (${Math.round(raw.records / raw.seconds)}/s)`,
        ],
        ['restarted processor, peak RSS', `${(peakRss / 2 ** 20).toFixed(0)} MiB`],
        [
          `every pipeline back within ${GOAL_SECONDS} s`,
          slowest <= GOAL_SECONDS
            ? `yes (the last after ${slowest.toFixed(1)} s)`
            : `no (the last: ${Number.isFinite(slowest) ? `${slowest.toFixed(1)} s` : 'never'})`,
        ],
      );
      printTable(`restart after ${minutes} min of every pipeline at default rates`, rows, [
        'a pipeline is back when its restarted process has committed a micro-batch',
        `records committed before the kill: ${[...committedByPipeline(beforeKill)].map(([name, n]) => `${name} ${n}`).join(', ')}`,
      ]);
    },
  );
}
