import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { serveMetrics } from '../../common/http.ts';

const on = { host: '127.0.0.1', portSetting: 'TEST_PORT', isReady: () => true };

test('a port already in use is an error naming it, never a silent success', async () => {
  const first = await serveMetrics(new Registry(), { ...on, port: 0 });
  const { port } = first.address() as AddressInfo;
  try {
    await expect(serveMetrics(new Registry(), { ...on, port })).rejects.toThrow(
      new RegExp(`^cannot serve on 127.0.0.1:${port}: listen EADDRINUSE.* \\(see TEST_PORT\\)$`),
    );
  } finally {
    first.close();
  }
});

test('/readyz follows the readiness callback; /healthz answers as soon as the process serves', async () => {
  let ready = false;
  const server = await serveMetrics(new Registry(), { ...on, port: 0, isReady: () => ready });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  } finally {
    server.close();
  }
});
