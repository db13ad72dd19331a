/**
 * Kafka Streams on the traffic work, for the traffic bench: TrafficMinuteCounts.java (beside this
 * file) run on the machine's JDK against the same preloaded topic, timed by its committed offsets.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadServicesConfig } from '../../../services/config.ts';
import { ensureJars } from '../../../services/jars.ts';
import { sleep, stopProgram, type BenchServices } from '../../../bench/support.ts';

const POLL_MS = 250;
const APPLICATION = path.join(import.meta.dirname, 'TrafficMinuteCounts.java');

export interface KafkaStreamsRun {
  /** Records/s from its first committed offset to its last. */
  perSecond: number;
  /** From the JVM's start to the first commit: compiling the source, joining the group. */
  secondsToFirstCommit: number;
}

/**
 * Drains the topic with the Kafka Streams application (exactly_once_v2) under the application id
 * given, which names its consumer group and internal topics.
 */
export async function kafkaStreamsMinuteCounts(
  services: BenchServices,
  options: {
    topic: string;
    applicationId: string;
    graceSeconds: number;
    threads: number;
    /** Kafka Streams and client settings on top of the defaults. */
    settings: Record<string, string>;
  },
): Promise<KafkaStreamsRun> {
  const classpath = ensureJars(
    loadServicesConfig().dataDir,
    'kafka-streams',
    path.join(import.meta.dirname, 'pom.xml'),
  );
  const output = `${options.applicationId}.minute-counts`;
  const ends = await services.admin.topicOffsets(options.topic);
  const end = ends.reduce((sum, { high }) => sum + Number(high), 0);
  const partitions = ends.length;
  await services.admin.ensureTopics([{ topic: output, partitions }]);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-streams-bench-'));
  const startedAt = performance.now();
  const application = spawn(
    'java',
    [
      ...['-cp', classpath, APPLICATION, services.brokers, options.applicationId, options.topic, output],
      ...[String(options.graceSeconds), String(options.threads), stateDir],
      ...Object.entries(options.settings).map(([name, value]) => `${name}=${value}`),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  application.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  try {
    let first: { at: number; committed: number } | undefined;
    for (;;) {
      if (application.exitCode !== null) {
        throw new Error(
          `Kafka Streams exited with ${application.exitCode}: ${stderr.trim().split('\n').at(-1)}`,
        );
      }
      let committed = 0;
      for (const offset of (
        await services.admin.committedOffsets(options.applicationId, options.topic)
      ).values())
        committed += Number(offset);
      first ??= committed > 0 ? { at: performance.now(), committed } : undefined;
      if (first !== undefined && committed >= end) {
        return {
          perSecond: (committed - first.committed) / ((performance.now() - first.at) / 1000),
          secondsToFirstCommit: (first.at - startedAt) / 1000,
        };
      }
      await sleep(POLL_MS);
    }
  } finally {
    await stopProgram(application);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
