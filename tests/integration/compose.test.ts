import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { projectRoot } from '../../services/config.ts';
import { STREAMS } from '../../streams/index.ts';

function dockerComposeConfig(env: NodeJS.ProcessEnv) {
  const result = spawnSync('docker-compose', ['config', '-q'], { cwd: projectRoot, encoding: 'utf8', env });
  if (result.error) throw new Error(`docker-compose not found: install it (apt-get install docker-compose)`);
  return result;
}

test('docker-compose.yml validates with docker-compose config -q', () => {
  const result = dockerComposeConfig({ ...process.env, GRAFANA_ADMIN_PASSWORD: 'from-dot-env' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

test('compose refuses to start Grafana without an admin password from the environment', () => {
  const env = { ...process.env };
  delete env.GRAFANA_ADMIN_PASSWORD;
  const result = dockerComposeConfig(env);
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('set GRAFANA_ADMIN_PASSWORD in .env');
});

test('every file the compose file mounts exists and every port is published on 127.0.0.1 only', () => {
  const compose = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
  const mountedPaths = [...compose.matchAll(/^\s+- (\.\/[^:]+):/gm)].map((match) => match[1]!);
  expect(mountedPaths.length).toBeGreaterThan(0);
  for (const mounted of mountedPaths) {
    // A plugin's dist/ is written by the plugin-build service before Grafana starts.
    const source = mounted.endsWith('/dist') ? path.dirname(mounted) : mounted;
    expect(fs.existsSync(path.join(projectRoot, source)), mounted).toBe(true);
  }
  expect(compose).toContain("command: ['sh', '-c', 'npm ci && npm run build:plugins']");
  const published = [...compose.matchAll(/^\s+- '([^']*:\d+:\d+)'/gm)].map((match) => match[1]!);
  expect(published.length).toBeGreaterThan(0);
  for (const port of published) expect(port.startsWith('127.0.0.1:'), port).toBe(true);
});

test('every command the compose file runs exists: entry points in the image, npm scripts in package.json', () => {
  const compose = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
  const dockerfile = fs.readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (\S+) /gm)].map((match) => match[1]!);
  for (const source of copied)
    expect(fs.existsSync(path.join(projectRoot, source)), `COPY ${source}`).toBe(true);
  // The install there runs no scripts: the project's patches to its dependencies are applied by name.
  expect(copied).toContain('patches');
  expect(dockerfile).toContain('npx patch-package --error-on-fail');
  const entryPoints = [...compose.matchAll(/^\s+command:\s+\['([\w/.-]+\.ts)'/gm)].map((match) => match[1]!);
  const streamPrograms = STREAMS.flatMap((stream) => (stream.programs ?? []).map(({ entry }) => entry));
  expect(entryPoints.sort()).toEqual(
    [
      'batch/cli.ts',
      ...STREAMS.map(() => 'generators/cli.ts'),
      ...streamPrograms,
      'processor/main.ts',
    ].sort(),
  );
  for (const entry of entryPoints) {
    expect(fs.existsSync(path.join(projectRoot, entry)), entry).toBe(true);
    expect(
      copied.some((source) => entry.startsWith(`${source}/`)),
      `${entry} is copied into the image`,
    ).toBe(true);
  }
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const npmRuns = [...compose.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!);
  expect(npmRuns.length).toBeGreaterThan(0);
  for (const script of npmRuns) expect(scripts[script], `npm run ${script}`).toBeDefined();
  const flags = [...compose.matchAll(/'(--[\w-]+)'/g)].map((match) => match[1]!);
  const help = STREAMS.map(({ name }) => name)
    .map(
      (stream) =>
        spawnSync(process.execPath, ['--import', 'tsx', 'generators/cli.ts', stream, '--help'], {
          cwd: projectRoot,
          encoding: 'utf8',
        }).stdout,
    )
    .join('\n');
  for (const flag of flags) expect(help, `generator flag ${flag}`).toContain(flag);
});

test('every long-running service has a healthcheck and is restarted unless stopped', () => {
  const compose = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
  const servicesSection = compose.slice(compose.indexOf('\nservices:\n'), compose.indexOf('\nvolumes:\n'));
  const blocks = servicesSection.split(/^ {2}(?=[\w-]+:$)/m).slice(1);
  const services = new Map(blocks.map((block) => [block.slice(0, block.indexOf(':')), block]));
  // One generator service per stream, named after it.
  const stack = [
    'batch',
    'cassandra',
    'grafana',
    'kafka',
    'notifier',
    'plugin-build',
    'processor',
    'prometheus',
  ];
  expect([...services.keys()].sort()).toEqual([...stack, ...STREAMS.map(({ name }) => name)].sort());
  // plugin-build runs once, writes dist/ and exits: Grafana waits for it to complete instead.
  services.delete('plugin-build');
  for (const [name, block] of services) {
    expect(block, `${name}: healthcheck`).toMatch(/^ {4}healthcheck:$/m);
    expect(block, `${name}: restart policy`).toMatch(/^ {4}restart: unless-stopped$/m);
  }
});

test('the images run a supported Node LTS line, and Prometheus has no lifecycle API (no /-/quit)', () => {
  const compose = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
  const dockerfile = fs.readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
  const nodeImages = [...`${dockerfile}\n${compose}`.matchAll(/\bnode:(\d+)[\w.-]*/g)].map((match) =>
    Number(match[1]),
  );
  expect(nodeImages.length).toBeGreaterThanOrEqual(2);
  // Node 20 left LTS in April 2026; 22 and 24 are the LTS lines today.
  for (const major of nodeImages) expect([22, 24]).toContain(major);
  expect(compose).not.toContain('enable-lifecycle');
});
