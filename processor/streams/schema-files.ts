import path from 'node:path';
import { fileURLToPath } from 'node:url';

const provisioning = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../provisioning/cassandra',
);

/** A stream's CQL schema, provisioning/cassandra/<stream>.cql: the one place both Docker and npm start read. */
export function schemaFile(stream: string): string {
  return path.join(provisioning, `${stream}.cql`);
}
