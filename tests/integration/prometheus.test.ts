import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { Gauge, Registry } from 'prom-client';
import { afterAll, expect, test } from 'vitest';
import { fileSdDirectory, prometheusUrl, uniqueName } from '../support/services.ts';

const registry = new Registry();
const marker = uniqueName('run');
const gauge = new Gauge({
  name: 'foundation_test_value',
  help: 'A value the foundation test serves and then reads back through PromQL.',
  labelNames: ['run'],
  registers: [registry],
});
gauge.set({ run: marker }, 42.5);

const app = express();
app.get('/metrics', async (_request, response) => {
  response.type(registry.contentType).send(await registry.metrics());
});
const server = app.listen(0, '127.0.0.1');
const listening = new Promise<void>((resolve) => server.once('listening', () => resolve()));
let targetFile = '';

afterAll(() => {
  if (targetFile) fs.rmSync(targetFile, { force: true });
  server.close();
});

test('Prometheus scrapes a prom-client endpoint and PromQL returns the scraped value', async () => {
  await listening;
  const { port } = server.address() as AddressInfo;
  targetFile = path.join(await fileSdDirectory(), `${marker}.json`);
  fs.writeFileSync(
    targetFile,
    JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { test: marker } }]),
  );

  const query = `foundation_test_value{run="${marker}"}`;
  let values: string[] = [];
  const deadline = Date.now() + 60_000;
  while (values.length === 0 && Date.now() < deadline) {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await response.json()) as {
      status: string;
      data: { result: { value: [number, string] }[] };
    };
    expect(body.status).toBe('success');
    values = body.data.result.map((sample) => sample.value[1]);
    if (values.length === 0) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(values).toEqual(['42.5']);
});
