import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { STREAMS } from '../streams/index.ts';
import { loadServicesConfig, projectRoot } from './config.ts';

/**
 * `npm start`: the whole stack without Docker. The services, then the processor, notifier,
 * batch (with the query API) and every stream's generator, and Grafana when one is installed.
 * Ctrl-C stops everything this run started.
 */

const config = loadServicesConfig();
const tsx = (...args: string[]) => [process.execPath, ['--import', 'tsx', ...args]] as const;

function runServicesScript(...args: string[]): number | null {
  const [command, commandArgs] = tsx(path.join(projectRoot, 'services/cli.ts'), ...args);
  return spawnSync(command, commandArgs, {
    cwd: projectRoot,
    stdio: args[0] === 'status' ? 'ignore' : 'inherit',
  }).status;
}

/** A local Grafana: GRAFANA_HOME/bin/grafana, or `grafana` on the PATH. */
function findGrafana(): { binary: string; home: string } | undefined {
  const home = process.env['GRAFANA_HOME'];
  if (home !== undefined && fs.existsSync(path.join(home, 'bin', 'grafana'))) {
    return { binary: path.join(home, 'bin', 'grafana'), home };
  }
  for (const directory of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const binary = path.join(directory, 'grafana');
    if (directory !== '' && fs.existsSync(binary)) {
      const packaged = '/usr/share/grafana';
      return { binary, home: fs.existsSync(packaged) ? packaged : path.resolve(directory, '..') };
    }
  }
  return undefined;
}

const children: { name: string; child: ChildProcess }[] = [];

function start(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): void {
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
    });
  }
  child.once('exit', (code, signal) => {
    if (!stopping) process.stdout.write(`${prefix}exited (${signal ?? code}); Ctrl-C stops the rest\n`);
  });
  children.push({ name, child });
}

function startGrafana(grafana: { binary: string; home: string }): string {
  const dataDir = path.join(config.dataDir, 'grafana');
  const pluginsDir = path.join(dataDir, 'plugins');
  fs.mkdirSync(pluginsDir, { recursive: true });
  const pluginLink = path.join(pluginsDir, 'streaming-leaderboard-panel');
  fs.rmSync(pluginLink, { force: true, recursive: true });
  fs.symlinkSync(path.join(projectRoot, 'plugins/leaderboard-panel/dist'), pluginLink);
  const password = process.env['GRAFANA_ADMIN_PASSWORD'] ?? randomBytes(12).toString('base64url');
  if (process.env['GRAFANA_ADMIN_PASSWORD'] === undefined) {
    process.stdout.write(`grafana: GRAFANA_ADMIN_PASSWORD not set; this run's admin password: ${password}\n`);
  }
  start('grafana', grafana.binary, ['server', '--homepath', grafana.home], {
    GF_PATHS_DATA: dataDir,
    GF_PATHS_LOGS: path.join(dataDir, 'logs'),
    GF_PATHS_PLUGINS: pluginsDir,
    GF_PATHS_PROVISIONING: path.join(projectRoot, 'provisioning/grafana'),
    GF_SERVER_HTTP_ADDR: '127.0.0.1',
    GF_SECURITY_ADMIN_PASSWORD: password,
    GF_AUTH_ANONYMOUS_ENABLED: 'false',
    GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: 'streaming-leaderboard-panel',
    PROMETHEUS_URL: `http://${config.host}:${config.prometheus.port}`,
    QUERY_API_URL: `http://${config.host}:${config.programs.batch}`,
    GRAFANA_DASHBOARDS_PATH: path.join(projectRoot, 'provisioning/grafana/dashboards'),
    DISCORD_WEBHOOK_URL:
      process.env['DISCORD_WEBHOOK_URL'] ?? 'http://discord-webhook-not-configured.invalid/',
  });
  return 'http://127.0.0.1:3000';
}

let stopping = false;
async function stopAll(servicesWereUp: boolean): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping everything this run started...\n');
  const exits = children.map(
    ({ child }) =>
      new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
  );
  for (const { child } of children) child.kill('SIGTERM');
  await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (!servicesWereUp) runServicesScript('down');
  process.exit(0);
}

const servicesWereUp = runServicesScript('status') === 0;
if (runServicesScript('up') !== 0) process.exit(1);
process.on('SIGINT', () => void stopAll(servicesWereUp));
process.on('SIGTERM', () => void stopAll(servicesWereUp));

start('processor', ...tsx('processor/main.ts'));
start('batch', ...tsx('batch/cli.ts'));
for (const stream of STREAMS) {
  for (const program of stream.programs ?? []) start(program.name, ...tsx(program.entry));
  start(stream.name, ...tsx('generators/cli.ts', stream.name));
}
const grafana = findGrafana();
const grafanaUrl = grafana === undefined ? undefined : startGrafana(grafana);

process.stdout.write(
  [
    '',
    'The stack is running (Ctrl-C stops it):',
    `  Prometheus         http://${config.host}:${config.prometheus.port}`,
    `  processor metrics  http://${config.host}:${config.programs.processor}/metrics`,
    `  batch metrics      http://${config.host}:${config.programs.batch}/metrics   query API http://${config.host}:${config.programs.batch}/api`,
    `  notifier metrics   http://${config.host}:${config.programs.notifier}/metrics`,
    grafanaUrl === undefined
      ? '  Grafana            not found (set GRAFANA_HOME or put grafana on the PATH; or use docker compose up)'
      : `  Grafana            ${grafanaUrl}`,
    '',
  ].join('\n'),
);
