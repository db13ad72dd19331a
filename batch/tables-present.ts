/**
 * A stream's routes read tables the processor creates when it starts, maybe after the batch
 * service: until they exist, a read answers 503 saying so instead of a driver error.
 */
import type { Logger } from 'pino';
import type { CassandraStore } from '../common/cassandra.ts';
import { TypedTables } from './rows.ts';
import { Unavailable } from './stream.ts';

/** The one system table read, typed like any other. */
interface SystemSchema {
  tables: { keyspace_name: string; table_name: string };
}

export class TablesPresent {
  private readonly schema: TypedTables<SystemSchema>;
  /** Once seen, the tables are taken to exist until a read fails. */
  private seen = false;

  constructor(
    private readonly stream: string,
    private readonly tables: readonly string[],
    private readonly context: { store: CassandraStore; keyspace: string; log: Logger },
  ) {
    this.schema = new TypedTables(context.store, 'system_schema');
  }

  /**
   * A read of the stream's tables, or Unavailable while they do not exist. One read of
   * system_schema per request until they are there, none after.
   */
  async read<T>(reading: () => Promise<T>): Promise<T> {
    if (!this.seen) {
      const { keyspace } = this.context;
      const present = new Set(
        (await this.schema.select('tables', ['table_name'], 'WHERE keyspace_name = ?', [keyspace])).map(
          (row) => row.table_name,
        ),
      );
      const missing = this.tables.filter((table) => !present.has(table));
      if (missing.length > 0) {
        throw new Unavailable(
          `the ${this.stream} tables are not there yet (missing in keyspace ${keyspace}: ${missing.join(', ')}); ` +
            'the processor creates them when it starts',
        );
      }
      this.seen = true;
      this.context.log.info({ keyspace }, `${this.stream} tables found; the ${this.stream} routes answer`);
    }
    try {
      return await reading();
    } catch (error) {
      // A dropped keyspace, say: the next request looks again.
      this.seen = false;
      throw error;
    }
  }
}
