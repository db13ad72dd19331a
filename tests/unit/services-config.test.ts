import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { loadServicesConfig } from '../../services/config.ts';
import { newClusterId } from '../../services/kafka.ts';
import { prometheusService } from '../../services/prometheus.ts';

const touched = ['KAFKA_PORT', 'CASSANDRA_HEAP', 'PROMETHEUS_PORT'];
afterEach(() => {
  for (const name of touched) delete process.env[name];
});

test('defaults are the standard ports on loopback', () => {
  const config = loadServicesConfig();
  expect(config.host).toBe('127.0.0.1');
  expect([config.kafka.port, config.cassandra.port, config.prometheus.port]).toEqual([9092, 9042, 9090]);
});

test('ports and heaps are overridable by environment variables', () => {
  process.env.KAFKA_PORT = '19092';
  process.env.CASSANDRA_HEAP = '2g';
  const config = loadServicesConfig();
  expect(config.kafka.port).toBe(19092);
  expect(config.cassandra.heap).toBe('2g');
});

test('a bad value is rejected with the variable name and the value', () => {
  process.env.PROMETHEUS_PORT = '90000';
  expect(() => loadServicesConfig()).toThrow("PROMETHEUS_PORT must be a TCP port (1-65535), got '90000'");
  delete process.env.PROMETHEUS_PORT;
  process.env.CASSANDRA_HEAP = 'lots';
  expect(() => loadServicesConfig()).toThrow("CASSANDRA_HEAP must look like 512m or 1g, got 'lots'");
});

test('Prometheus scrapes the ports the programs are configured with, and has no lifecycle API (no /-/quit)', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'services-'));
  const moved = { PROCESSOR_METRICS_PORT: '19464', BATCH_HTTP_PORT: '19465', NOTIFIER_METRICS_PORT: '19466' };
  Object.assign(process.env, { SERVICES_DATA_DIR: dataDir, ...moved });
  try {
    const prometheus = prometheusService(loadServicesConfig());
    await prometheus.prepare();
    const written = fs.readFileSync(path.join(dataDir, 'prometheus', 'prometheus.yml'), 'utf8');
    for (const port of Object.values(moved)) expect(written).toContain(`'127.0.0.1:${port}'`);
    expect(written).not.toMatch(/:946[456]'/);
    expect(prometheus.command().args.join(' ')).not.toContain('lifecycle');
  } finally {
    for (const name of ['SERVICES_DATA_DIR', ...Object.keys(moved)]) delete process.env[name];
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

// About one random id in 64 starts with '-', which Kafka's storage tool reads as an option.
test('a new KRaft cluster id is 16 bytes in base64url that never starts with a dash', () => {
  const ids = Array.from({ length: 2000 }, () => newClusterId());
  for (const id of ids) {
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  }
  expect(new Set(ids).size).toBe(ids.length);
});
