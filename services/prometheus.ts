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
      fs.writeFileSync(configFile, template.replace("'127.0.0.1:9090'", `'${host}:${port}'`));
    },
    command() {
      return {
        executable: 'prometheus',
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${path.join(home, 'data')}`,
          `--web.listen-address=${host}:${port}`,
          '--web.enable-lifecycle',
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
