import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../services/config.ts';
import { STREAMS } from '../streams/index.ts';
import { alertingProvisioning, stackAlertRules } from './alerts.ts';
import { pipelineHealth } from './dashboards/pipeline-health.ts';

/** Every provisioned dashboard: each stream's, then the stack's own. */
export const dashboards = [...STREAMS.flatMap((stream) => stream.dashboards), pipelineHealth];

/** Every provisioned alert rule: each stream's, then the stack's own. */
export const alertRules = [...STREAMS.flatMap((stream) => stream.alertRules), ...stackAlertRules];

/** Every generated provisioning file: path under the project root, and its exact content. */
export function provisioningFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const board of dashboards) {
    files.set(`provisioning/grafana/dashboards/${board.uid}.json`, `${JSON.stringify(board, null, 2)}\n`);
  }
  files.set(
    'provisioning/grafana/alerting/streaming-stack.json',
    `${JSON.stringify(alertingProvisioning(alertRules), null, 2)}\n`,
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
