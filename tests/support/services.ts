import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadServicesConfig, projectRoot } from '../../services/config.ts';

export const servicesConfig = loadServicesConfig();
export const kafkaBrokers = [`${servicesConfig.host}:${servicesConfig.kafka.port}`];
export const cassandraContactPoint = `${servicesConfig.host}:${servicesConfig.cassandra.port}`;
export const prometheusUrl = `http://${servicesConfig.host}:${servicesConfig.prometheus.port}`;

/** Runs the project's services script, as a user would. */
export function runServices(...args: string[]): { status: number | null; output: string } {
  return runServicesWith({}, ...args);
}

/** The services script with settings of its own: a private broker on other ports, say. */
export function runServicesWith(
  env: Record<string, string>,
  ...args: string[]
): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'services/cli.ts'), ...args],
    {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * A broker of a test's own on ports of its own, started and stopped by the services script, so
 * that the shared broker the other tests use never goes away. It runs on the shared services'
 * jars, so it needs no download.
 */
export function privateBroker(ports: { kafka: number; controller: number }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'private-broker-'));
  const env = {
    SERVICES_DATA_DIR: dataDir,
    KAFKA_PORT: String(ports.kafka),
    KAFKA_CONTROLLER_PORT: String(ports.controller),
  };
  fs.cpSync(path.join(servicesConfig.dataDir, 'jars', 'kafka'), path.join(dataDir, 'jars', 'kafka'), {
    recursive: true,
  });
  return {
    brokers: [`127.0.0.1:${ports.kafka}`],
    dataDir,
    up: () => runServicesWith(env, 'up', 'kafka'),
    down: () => runServicesWith(env, 'down', 'kafka'),
    /** Stops the broker if it runs and removes its data. */
    remove() {
      runServicesWith(env, 'down', 'kafka');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A name no earlier run used, so tests never see each other's topics, tables or series. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** The file_sd folder of the running Prometheus, which may belong to another checkout's services. */
export async function fileSdDirectory(): Promise<string> {
  const response = await fetch(`${prometheusUrl}/api/v1/status/flags`);
  const { data } = (await response.json()) as { data: Record<string, string> };
  return path.join(path.dirname(data['config.file']!), 'file_sd');
}

/** An instant PromQL query on the live Prometheus: the status and every series' value. */
export async function promQuery(expr: string): Promise<{ status: string; error?: string; values: number[] }> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { result: { value: [number, string] }[] };
  };
  return {
    status: body.status,
    ...(body.error !== undefined && { error: body.error }),
    values: (body.data?.result ?? []).map((series) => Number(series.value[1])),
  };
}

/** An instant PromQL query's series with their labels (an error or no data: none). */
export async function promSeries(expr: string): Promise<{ labels: Record<string, string>; value: number }[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return (body.data?.result ?? []).map((entry) => ({ labels: entry.metric, value: Number(entry.value[1]) }));
}
