import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got '${raw}'`);
  }
  return port;
}

function heapFromEnv(name: string, fallback: string): string {
  const raw = process.env[name] ?? fallback;
  if (!/^\d+[mMgG]$/.test(raw)) throw new Error(`${name} must look like 512m or 1g, got '${raw}'`);
  return raw;
}

/** Everything the services script needs, read and validated once. */
export function loadServicesConfig() {
  const dataDir = path.resolve(projectRoot, process.env.SERVICES_DATA_DIR ?? '.data');
  return {
    dataDir,
    host: '127.0.0.1',
    kafka: {
      port: portFromEnv('KAFKA_PORT', 9092),
      controllerPort: portFromEnv('KAFKA_CONTROLLER_PORT', 9093),
      heap: heapFromEnv('KAFKA_HEAP', '512m'),
    },
    cassandra: {
      port: portFromEnv('CASSANDRA_PORT', 9042),
      storagePort: portFromEnv('CASSANDRA_STORAGE_PORT', 7000),
      heap: heapFromEnv('CASSANDRA_HEAP', '1g'),
    },
    prometheus: {
      port: portFromEnv('PROMETHEUS_PORT', 9090),
    },
    /** Where the stack's programs serve their metrics: Prometheus scrapes these, `npm start` prints them. */
    programs: {
      processor: portFromEnv('PROCESSOR_METRICS_PORT', 9464),
      batch: portFromEnv('BATCH_HTTP_PORT', 9465),
      notifier: portFromEnv('NOTIFIER_METRICS_PORT', 9466),
    },
  };
}

export type ServicesConfig = ReturnType<typeof loadServicesConfig>;
