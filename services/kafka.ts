import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createKafkaClient } from '../common/kafka.ts';
import { projectRoot, type ServicesConfig } from './config.ts';
import { JVM_PREREQUISITES, ensureJars, jvmBaseArgs } from './jars.ts';
import { ServiceError, type ManagedService } from './process.ts';

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding. One that starts with '-' would
 * be read as an option by the storage tool, as Kafka's own Uuid.randomUuid also avoids.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Apache Kafka 4.x in KRaft combined mode (broker + controller), one node. */
export function kafkaService(config: ServicesConfig): ManagedService {
  const { host, dataDir } = config;
  const { port, controllerPort, heap } = config.kafka;
  const home = path.join(dataDir, 'kafka');
  const propertiesFile = path.join(home, 'server.properties');
  const logDir = path.join(home, 'data');
  let classpath = '';

  const serverProperties = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=3',
    // One broker: internal topics cannot be replicated further than that.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
  ].join('\n');

  return {
    name: 'kafka',
    address: `${host}:${port}`,
    prerequisites: JVM_PREREQUISITES,
    startupTimeoutMs: 90_000,
    async prepare() {
      classpath = ensureJars(dataDir, 'kafka');
      fs.mkdirSync(home, { recursive: true });
      fs.writeFileSync(propertiesFile, `${serverProperties}\n`);
      if (fs.existsSync(path.join(logDir, 'meta.properties'))) return;
      const clusterId = newClusterId();
      const format = spawnSync(
        'java',
        [
          '-cp',
          classpath,
          `-Dlog4j2.configurationFile=${path.join(projectRoot, 'services/kafka/log4j2.properties')}`,
          'kafka.tools.StorageTool',
          'format',
          '--standalone',
          '-t',
          clusterId,
          '-c',
          propertiesFile,
        ],
        { encoding: 'utf8' },
      );
      if (format.status !== 0) {
        throw new ServiceError(`kafka: formatting ${logDir} failed:\n${format.stdout}${format.stderr}`);
      }
    },
    command() {
      return {
        executable: 'java',
        args: [
          ...jvmBaseArgs(heap),
          `-Dlog4j2.configurationFile=${path.join(projectRoot, 'services/kafka/log4j2.properties')}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          propertiesFile,
        ],
      };
    },
    async probe() {
      const admin = createKafkaClient({
        clientId: 'services-probe',
        brokers: [`${host}:${port}`],
        requestRetries: 'none',
        connectionTimeoutMs: 1000,
      }).admin();
      try {
        await admin.connect();
        return (await admin.brokerCount()) > 0;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
