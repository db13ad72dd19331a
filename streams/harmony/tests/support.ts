/**
 * What the harmony tests share on top of the shared harness: drone reports generated as a user
 * would, the processor started on harmony's keyspace, and checks on what it stored and alerted.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../../services/config.ts';
import type { DroneReport } from '../schema.ts';
import {
  cassandraClient,
  committedMessages,
  startProgram,
  waitFor,
  workDir,
} from '../../../tests/support/harness.ts';
import { kafkaBrokers, uniqueName } from '../../../tests/support/services.ts';

/**
 * Runs the drones generator as a user would, with --out: the file is the test's truth.
 * Burst mode with event times spaced at 100/min, ending a few minutes ago, so the reports
 * cover many one-minute buckets without waiting for them.
 */
export function generateReports(topic: string, count: number, seed: number): DroneReport[] {
  const out = path.join(workDir, `${uniqueName('reports')}.jsonl`);
  const start = new Date(Date.now() - (count / 100) * 60_000 - 5 * 60_000);
  start.setUTCSeconds(0, 0);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'generators/cli.ts',
      'harmony',
      ...['--count', String(count), '--seed', String(seed), '--rate', '100/min', '--burst'],
      ...[
        '--start',
        start.toISOString(),
        '--out',
        out,
        '--topic',
        topic,
        '--brokers',
        kafkaBrokers.join(','),
      ],
    ],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`generator failed (${result.status}): ${result.stderr}`);
  return fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as DroneReport);
}

/**
 * The processor as the harmony tests run it: every pipeline unless the settings name some, with
 * harmony's keyspace (CASSANDRA_KEYSPACE) set to the run's.
 */
export function startProcessor(
  prefix: string,
  keyspace: string,
  metricsPort: number,
  batchMaxRecords = 500,
  settings: Record<string, string> = {},
): ChildProcess {
  return startProgram(
    'processor/main.ts',
    {
      PROCESSOR_TOPIC_PREFIX: prefix,
      CASSANDRA_KEYSPACE_HARMONY: keyspace,
      PROCESSOR_GROUP_ID: `${prefix}processor`,
      PROCESSOR_INSTANCE_ID: 'test',
      PROCESSOR_METRICS_PORT: String(metricsPort),
      PROCESSOR_BATCH_MAX_RECORDS: String(batchMaxRecords),
      ...settings,
    },
    settings.PROCESSOR_INSTANCE_ID === undefined
      ? 'processor.log'
      : `processor-${settings.PROCESSOR_INSTANCE_ID}.log`,
  );
}

export async function storedReportIds(keyspace: string): Promise<string[]> {
  // The test keyspace holds one run's few thousand rows: one page reads them all.
  const result = await cassandraClient.execute(`SELECT report_id FROM ${keyspace}.reports`, [], {
    fetchSize: 100_000,
  });
  return result.rows.map((row) => row.report_id as string);
}

export const isDistressed = (report: DroneReport): boolean =>
  report.persons.some((person) => person.harmony_score < 2);

/** Every report of the file stored once, nothing else, and one alert per distressed report on the alert topic. */
export async function expectExactlyTheSentFacts(prefix: string, keyspace: string, sent: DroneReport[]) {
  const ids = await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length >= sent.length,
    120_000,
  );
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(sent.map((report) => report.report_id).sort());

  const expectedAlerts = sent
    .filter(isDistressed)
    .map((report) => report.report_id)
    .sort();
  expect(expectedAlerts.length).toBeGreaterThan(0);
  const alerts = await committedMessages(`${prefix}harmony.alerts`, expectedAlerts.length);
  expect(alerts.map((alert) => (JSON.parse(alert) as { alert_id: string }).alert_id).sort()).toEqual(
    expectedAlerts,
  );
}
