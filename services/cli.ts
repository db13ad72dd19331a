import fs from 'node:fs';
import { Command } from 'commander';
import { loadSettings, runCli } from '../common/cli.ts';
import { cassandraService } from './cassandra.ts';
import { loadServicesConfig, type ServicesConfig } from './config.ts';
import { kafkaService } from './kafka.ts';
import {
  ServiceError,
  pidFile,
  requireExecutables,
  runningPid,
  startDetached,
  stopProcessGroup,
  waitUntilAnswers,
  type ManagedService,
} from './process.ts';
import { prometheusService } from './prometheus.ts';

/** What a command works on: the settings, and the services it names (none named means all). */
interface Selection {
  config: ServicesConfig;
  services: ManagedService[];
}

function select(names: string[]): Selection {
  const config = loadSettings(loadServicesConfig);
  const allServices = [kafkaService(config), cassandraService(config), prometheusService(config)];
  if (names.length === 0) return { config, services: allServices };
  const services = names.map((name) => {
    const service = allServices.find((candidate) => candidate.name === name);
    if (!service) {
      const known = allServices.map((candidate) => candidate.name).join(', ');
      throw new ServiceError(`unknown service '${name}' (known: ${known})`);
    }
    return service;
  });
  return { config, services };
}

async function up({ config, services }: Selection): Promise<void> {
  for (const service of services) requireExecutables(service);
  const started = Date.now();
  // Start every service first and only then wait, so the JVMs boot side by side.
  const waiting: Promise<void>[] = [];
  for (const service of services) {
    const pid = runningPid(config.dataDir, service.name);
    if (pid !== undefined) {
      console.log(`${service.name}: already running (pid ${pid}) on ${service.address}, nothing to do`);
      continue;
    }
    if (await service.probe()) {
      console.log(
        `${service.name}: already answers on ${service.address} (not started by this script), nothing to do`,
      );
      continue;
    }
    await service.prepare();
    const newPid = startDetached(config.dataDir, service);
    console.log(`${service.name}: starting (pid ${newPid})...`);
    waiting.push(
      waitUntilAnswers(config.dataDir, service, newPid).then(() =>
        console.log(
          `${service.name}: up on ${service.address} after ${((Date.now() - started) / 1000).toFixed(1)}s`,
        ),
      ),
    );
  }
  const results = await Promise.allSettled(waiting);
  const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failures.length > 0)
    throw new ServiceError(failures.map((failure) => String(failure.reason.message)).join('\n'));
}

async function down({ config, services }: Selection): Promise<void> {
  for (const service of services) {
    const pid = runningPid(config.dataDir, service.name);
    if (pid === undefined) {
      console.log(`${service.name}: not running`);
      continue;
    }
    await stopProcessGroup(pid, 30_000);
    fs.rmSync(pidFile(config.dataDir, service.name), { force: true });
    console.log(`${service.name}: stopped (pid ${pid})`);
  }
}

async function status({ config, services }: Selection): Promise<boolean> {
  let allAnswer = true;
  for (const service of services) {
    const pid = runningPid(config.dataDir, service.name);
    const answers = await service.probe();
    allAnswer &&= answers;
    const owner = pid === undefined ? 'not started by this script' : `pid ${pid}`;
    console.log(
      `${service.name.padEnd(10)} ${service.address.padEnd(24)} ${answers ? 'answers' : 'DOWN'} (${owner})`,
    );
  }
  return allAnswer;
}

const program = new Command()
  .name('npm run services --')
  .description('Runs Kafka, Cassandra and Prometheus natively on 127.0.0.1 (no Docker).')
  .showHelpAfterError(false)
  .configureOutput({ outputError: (message, write) => write(message.split('\n')[0] + '\n') })
  .exitOverride();

program
  .command('up')
  .description('start the named services (default: all) and wait until each answers; idempotent')
  .argument('[services...]', 'kafka, cassandra, prometheus')
  .action(async (names: string[]) => up(select(names)));
program
  .command('down')
  .description('stop the named services (default: all) that `up` started')
  .argument('[services...]', 'kafka, cassandra, prometheus')
  .action(async (names: string[]) => down(select(names)));
program
  .command('status')
  .description('print each service, its address and whether it answers; exit 1 if one does not')
  .argument('[services...]', 'kafka, cassandra, prometheus')
  .action(async (names: string[]) => {
    if (!(await status(select(names)))) process.exitCode = 1;
  });

await runCli(program, 'error');
