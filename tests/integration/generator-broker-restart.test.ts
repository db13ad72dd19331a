/**
 * A generator outlives a broker restart: it waits with backoff, says so once, and sends every
 * event exactly once. The broker is a private one on ports of its own, started and stopped by the
 * services script, so that the shared broker the other tests use never goes away.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createKafkaClient } from '../../common/kafka.ts';
import { projectRoot } from '../../services/config.ts';
import { waitFor } from '../support/harness.ts';
import { registerProgram } from '../support/programs.ts';
import { privateBroker, uniqueName } from '../support/services.ts';

const privateKafka = privateBroker({ kafka: 19192, controller: 19193 });
afterAll(() => privateKafka.remove());
const broker = privateKafka.brokers[0]!;

test('the broker stopped and started again mid-run: the generator goes on, every event sent once', async () => {
  const up = privateKafka.up();
  expect(up.status, up.output).toBe(0);

  const topic = uniqueName('restart');
  const out = path.join(privateKafka.dataDir, 'sent.jsonl');
  const count = 12_000;
  const generator = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'generators/cli.ts', 'harmony'],
      ...['--brokers', broker, '--topic', topic, '--count', String(count), '--rate', '1000/s'],
      ...['--seed', '5', '--out', out],
    ],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  registerProgram(generator.pid!);
  let stderr = '';
  generator.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => generator.once('exit', resolve));

  await waitFor(
    async () => stderr,
    (text) => /sent [1-9]\d{3} to/.test(text),
    60_000,
  );
  const down = privateKafka.down();
  expect(down.output).toMatch(/kafka: stopped/);
  // Longer than kafkajs' own retries of one request (about 10 s): the generator's must carry it.
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  expect(generator.exitCode, stderr).toBeNull();
  expect(privateKafka.up().status).toBe(0);

  expect(await exited, stderr).toBe(0);
  expect(stderr.match(/kafka unavailable/g), stderr).toHaveLength(1);
  expect(stderr).toMatch(/kafka takes events again/);

  const written = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { report_id: string }).report_id);
  expect(written).toHaveLength(count);
  const kafka = createKafkaClient({ clientId: 'restart-test', brokers: [broker] });
  const consumer = kafka.groupConsumer({ groupId: uniqueName('reader') });
  const received: string[] = [];
  await consumer.connect();
  await consumer.subscribe([topic]);
  await consumer.run({
    eachBatch: async ({ records, resolveOffset }) => {
      for (const { offset, value } of records) {
        received.push((JSON.parse(value!.toString()) as { report_id: string }).report_id);
        resolveOffset(offset);
      }
    },
  });
  await waitFor(
    async () => received.length,
    (length) => length >= count,
    60_000,
  );
  // A few seconds more, so that a duplicate would arrive too.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await consumer.disconnect();
  expect(received).toHaveLength(count);
  expect(new Set(received).size).toBe(count);
  expect([...received].sort()).toEqual([...written].sort());
}, 300_000);
