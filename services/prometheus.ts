import fs from 'node:fs';
import path from 'node:path';
import { projectRoot, type ServicesConfig } from './config.ts';
import type { ManagedService } from './process.ts';

/** Prometheus from Debian's package, scraping the project's metrics endpoints on loopback. */
export function prometheusService(config: ServicesConfig): ManagedService {
  const { host, dataDir } = config;
  const { port } = config.prometheus;
  const home = path.join(dataDir, 'prometheus');
  const configFile = path.join(home, 'prometheus.yml');

  return {
    name: 'prometheus',
    address: `http://${host}:${port}`,
    prerequisites: { prometheus: 'install Prometheus (apt-get install prometheus)' },
    startupTimeoutMs: 30_000,
    async prepare() {
      fs.mkdirSync(path.join(home, 'file_sd'), { recursive: true });
      const template = fs.readFileSync(
        path.join(projectRoot, 'provisioning/prometheus/prometheus.local.yml'),
        'utf8',
      );
      // The template names the default ports; the programs may have been moved off them.
      const targets: [number, number][] = [
        [9090, port],
        [9464, config.programs.processor],
        [9465, config.programs.batch],
        [9466, config.programs.notifier],
      ];
      const scraped = targets.reduce(
        (text, [fallback, actual]) => text.replace(`'127.0.0.1:${fallback}'`, `'${host}:${actual}'`),
        template,
      );
      fs.writeFileSync(configFile, scraped);
    },
    command() {
      return {
        executable: 'prometheus',
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${path.join(home, 'data')}`,
          `--web.listen-address=${host}:${port}`,
        ],
      };
    },
    async probe() {
      try {
        const response = await fetch(`http://${host}:${port}/-/ready`, { signal: AbortSignal.timeout(1000) });
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}
