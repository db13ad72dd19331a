import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { serveMetrics } from '../../common/http.ts';

test('a port already in use is an error naming it, never a silent success', async () => {
  const first = await serveMetrics(new Registry(), '127.0.0.1', 0, () => true);
  const { port } = first.address() as AddressInfo;
  try {
    await expect(serveMetrics(new Registry(), '127.0.0.1', port, () => true)).rejects.toThrow(
      `cannot serve on 127.0.0.1:${port}: listen EADDRINUSE`,
    );
  } finally {
    first.close();
  }
});

test('/readyz follows the readiness callback; /healthz answers as soon as the process serves', async () => {
  let ready = false;
  const server = await serveMetrics(new Registry(), '127.0.0.1', 0, () => ready);
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
