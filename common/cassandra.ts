import fs from 'node:fs';
import cassandra from 'cassandra-driver';

/** The schema file names its keyspace literally; a deployment (or a test) may choose another. */
export function schemaStatements(cql: string, schemaKeyspace: string, keyspace: string): string[] {
  const withoutComments = cql.replace(/--.*$/gm, '');
  return withoutComments
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
    .map((statement) =>
      statement
        .replace(new RegExp(`\\b${schemaKeyspace}\\.`, 'g'), `${keyspace}.`)
        .replace(new RegExp(`(KEYSPACE IF NOT EXISTS) ${schemaKeyspace}\\b`), `$1 ${keyspace}`),
    );
}

/** One row to upsert: the table and its column values, primary key included. */
export interface Row {
  table: string;
  values: Record<string, unknown>;
}

export function upsertStatement(keyspace: string, row: Row): string {
  const columns = Object.keys(row.values);
  return `INSERT INTO ${keyspace}.${row.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

const UPSERT_CONCURRENCY = 128;

export interface CassandraSettings {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
}

/** Writes rows as prepared, idempotent upserts; knows tables and columns, not streams. */
export class CassandraStore {
  readonly client: cassandra.Client;

  constructor(private readonly settings: CassandraSettings) {
    this.client = new cassandra.Client({
      contactPoints: settings.contactPoints,
      localDataCenter: settings.localDataCenter,
      socketOptions: { connectTimeout: 5000, readTimeout: 12_000 },
      queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localQuorum },
      // The processor owns retries (with backoff, pausing consumption); the driver should fail fast.
      policies: { reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(1000) },
    });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async applySchema(schemaFile: string, schemaKeyspace: string): Promise<void> {
    const cql = fs.readFileSync(schemaFile, 'utf8');
    for (const statement of schemaStatements(cql, schemaKeyspace, this.settings.keyspace)) {
      await this.client.execute(statement);
    }
  }

  async upsert(rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const { keyspace } = this.settings;
    // Bounded concurrency: a large micro-batch must not exceed the driver's in-flight limit.
    await cassandra.concurrent.executeConcurrent(
      this.client,
      rows.map((row) => ({ query: upsertStatement(keyspace, row), params: Object.values(row.values) })),
      { concurrencyLevel: UPSERT_CONCURRENCY, raiseOnFirstError: true },
    );
  }

  async shutdown(): Promise<void> {
    await this.client.shutdown();
  }
}
