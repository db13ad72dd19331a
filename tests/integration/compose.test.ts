import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { projectRoot } from '../../services/config.ts';

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
  for (const mounted of mountedPaths)
    expect(fs.existsSync(path.join(projectRoot, mounted)), mounted).toBe(true);
  const published = [...compose.matchAll(/^\s+- '([^']*:\d+:\d+)'/gm)].map((match) => match[1]!);
  expect(published.length).toBeGreaterThan(0);
  for (const port of published) expect(port.startsWith('127.0.0.1:'), port).toBe(true);
});
