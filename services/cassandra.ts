import fs from 'node:fs';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { projectRoot, type ServicesConfig } from './config.ts';
import { JVM_PREREQUISITES, ensureJars, jvmBaseArgs } from './jars.ts';
import type { ManagedService } from './process.ts';

/** Apache Cassandra 5.0, one node, small heap, data under the services data dir. */
export function cassandraService(config: ServicesConfig): ManagedService {
  const { host, dataDir } = config;
  const { port, storagePort, heap } = config.cassandra;
  const home = path.join(dataDir, 'cassandra');
  const yamlFile = path.join(home, 'cassandra.yaml');
  let classpath = '';

  const yaml = `cluster_name: streaming-stack
num_tokens: 16
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories:
  - ${path.join(home, 'data')}
commitlog_directory: ${path.join(home, 'commitlog')}
saved_caches_directory: ${path.join(home, 'saved_caches')}
hints_directory: ${path.join(home, 'hints')}
cdc_raw_directory: ${path.join(home, 'cdc_raw')}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${host}:${storagePort}"
listen_address: ${host}
rpc_address: ${host}
storage_port: ${storagePort}
native_transport_port: ${port}
start_native_transport: true
endpoint_snitch: SimpleSnitch
auto_bootstrap: false
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
`;

  return {
    name: 'cassandra',
    address: `${host}:${port}`,
    prerequisites: JVM_PREREQUISITES,
    startupTimeoutMs: 150_000,
    async prepare() {
      classpath = ensureJars(dataDir, 'cassandra');
      fs.mkdirSync(home, { recursive: true });
      fs.writeFileSync(yamlFile, yaml);
    },
    command() {
      const jamm = classpath.split(path.delimiter).find((jar) => path.basename(jar).startsWith('jamm-'));
      const moduleOptions = fs
        .readFileSync(path.join(projectRoot, 'services/cassandra/jvm17.options'), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.startsWith('#'));
      return {
        executable: 'java',
        args: [
          ...jvmBaseArgs(heap),
          '-Xss512k',
          ...(jamm ? [`-javaagent:${jamm}`] : []),
          ...moduleOptions,
          `-Dcassandra.config=file://${yamlFile}`,
          `-Dcassandra.storagedir=${home}`,
          `-Dcassandra.logdir=${path.join(dataDir, 'logs')}`,
          `-Dlogback.configurationFile=${path.join(projectRoot, 'services/cassandra/logback.xml')}`,
          '-Dcassandra-foreground=yes',
          // A single node has no ring to wait for.
          '-Dcassandra.skip_wait_for_gossip_to_settle=0',
          '-Dcassandra.ring_delay_ms=100',
          '-cp',
          classpath,
          'org.apache.cassandra.service.CassandraDaemon',
        ],
      };
    },
    async probe() {
      const client = new cassandra.Client({
        contactPoints: [`${host}:${port}`],
        localDataCenter: 'datacenter1',
        socketOptions: { connectTimeout: 1000, readTimeout: 2000 },
      });
      try {
        await client.connect();
        const result = await client.execute('SELECT release_version FROM system.local');
        return result.rowLength === 1;
      } catch {
        return false;
      } finally {
        await client.shutdown().catch(() => undefined);
      }
    },
  };
}
