/**
 * What the live dashboard tests share: the queries of some dashboards and alert rules, as
 * Grafana would send them, and narrowed to one run's series. Each stream's live test covers its
 * own dashboards and rules (grafana.test.ts covers harmony's, traffic's and the pipelines').
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AlertRuleSpec } from '../../grafana/alerts.ts';
import { alertRules, dashboards } from '../../grafana/generate.ts';
import type { Target } from '../../grafana/model.ts';
import { fileSdDirectory, uniqueName } from './services.ts';

/** Every target (panel queries and template variables) of the named dashboards. */
export function dashboardTargets(boardUids: readonly string[]) {
  for (const uid of boardUids) {
    if (!dashboards.some((board) => board.uid === uid)) throw new Error(`no dashboard ${uid}`);
  }
  return dashboards
    .filter((board) => boardUids.includes(board.uid))
    .flatMap((board) => [
      ...board.panels.flatMap((panel) =>
        panel.targets.map((target) => ({ board: board.uid, where: `${board.uid}/${panel.title}`, target })),
      ),
      ...board.templating.list.map((variable) => ({
        board: board.uid,
        where: `${board.uid}/$${variable.name}`,
        target: variable.query as Target,
      })),
    ]);
}

/** The alert rules whose uid starts with one of `prefixes` (a stream's rules share its name). */
export function rulesOf(prefixes: readonly string[]): AlertRuleSpec[] {
  return alertRules.filter((rule) => prefixes.some((prefix) => rule.uid.startsWith(`${prefix}-`)));
}

/** The project's metric families: each starts with its program's or its stream's name. */
const METRIC =
  /\b((?:processor|harmony|notifier|batch|traffic|community|hashtags|markets|flights|process|nodejs)_[a-z0-9_]+|up(?![a-z0-9_]))(\{)?/g;

/**
 * A PromQL expression narrowed to the series of one run's targets (file_sd gives each a `run`
 * label): every metric selector gets `run="<run>"`. Other runs' series, an earlier run's still
 * in a range window or another checkout's, cannot then make an empty answer look full.
 */
export const thisRun = (expr: string, run: string) =>
  expr.replace(METRIC, (_, metric: string, brace: string | undefined) =>
    brace === undefined ? `${metric}{run="${run}"}` : `${metric}{run="${run}",`,
  );

/** Grafana's macros and multi-value variables, as Grafana expands them for a 5-minute range. */
export const substitutePromQL = (expr: string) =>
  expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '5m')
    // A multi-value variable on All, as Grafana expands it: its allValue.
    .replaceAll('$pipeline', '.*');

/** Expressions that answer 0 by design when nothing went wrong (late views, dead letters). */
export const ZERO_FALLBACK = /\bor (on\(\) )?vector\(0\)$/;

/**
 * Lets the live Prometheus scrape this run's programs (through its file_sd folder), each series
 * labelled with its job and `run`; resolves to the target file, to remove afterwards.
 */
export async function scrapeThisRun(
  run: string,
  programs: readonly { job: string; port: number }[],
  name: string,
): Promise<string> {
  const file = path.join(await fileSdDirectory(), `${uniqueName(name)}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      programs.map(({ job, port }) => ({ targets: [`127.0.0.1:${port}`], labels: { job, run } })),
    ),
  );
  return file;
}

/** SIGKILLs the programs still running and resolves once each has exited. */
export async function killPrograms(children: Iterable<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children]
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map((child) => {
        const exited = new Promise((resolve) => child.once('close', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
  );
}
