import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../services/config.ts';
import { alertingProvisioning } from './alerts.ts';
import { flights } from '../streams/flights/dashboard.ts';
import { communityActivity } from '../streams/community/dashboard.ts';
import { harmonyOverview } from '../streams/harmony/dashboard.ts';
import { markets } from '../streams/markets/dashboard.ts';
import { pipelineHealth } from './dashboards/pipeline-health.ts';
import { storedData } from '../streams/harmony/stored-data-dashboard.ts';
import { traffic } from '../streams/traffic/dashboard.ts';
import { hashtags } from '../streams/hashtags/dashboard.ts';

export const dashboards = [
  harmonyOverview,
  pipelineHealth,
  storedData,
  traffic,
  markets,
  hashtags,
  flights,
  communityActivity,
];

/** Every generated provisioning file: path under the project root, and its exact content. */
export function provisioningFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const board of dashboards) {
    files.set(`provisioning/grafana/dashboards/${board.uid}.json`, `${JSON.stringify(board, null, 2)}\n`);
  }
  files.set(
    'provisioning/grafana/alerting/streaming-stack.json',
    `${JSON.stringify(alertingProvisioning(), null, 2)}\n`,
  );
  return files;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  for (const [file, content] of provisioningFiles()) {
    const target = path.join(projectRoot, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    process.stderr.write(`wrote ${file}\n`);
  }
}
