import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadServicesConfig, projectRoot } from '../../services/config.ts';

export const servicesConfig = loadServicesConfig();
export const kafkaBrokers = [`${servicesConfig.host}:${servicesConfig.kafka.port}`];
export const cassandraContactPoint = `${servicesConfig.host}:${servicesConfig.cassandra.port}`;
export const prometheusUrl = `http://${servicesConfig.host}:${servicesConfig.prometheus.port}`;

/** Runs the project's services script, as a user would. */
export function runServices(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'services/cli.ts'), ...args],
    {
      cwd: projectRoot,
      encoding: 'utf8',
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A name no earlier run used, so tests never see each other's topics, tables or series. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
