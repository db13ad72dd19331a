/**
 * Typed access to one keyspace's tables. `Tables` maps each table to its row type (the `Tables`
 * type of a stream's schema.ts): the columns a query selects are named once, checked
 * against the row type, and the rows come back typed; no call site reads a column by string.
 */
import type cassandra from 'cassandra-driver';
import type { CassandraStore } from '../common/cassandra.ts';

/** Bounds the reads in flight when a job reads many partitions at once. */
const READ_CONCURRENCY = 32;
const PAGE_SIZE = 5000;

/** `work` over every item, at most READ_CONCURRENCY at a time; the results in the items' order. */
export async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let first = 0; first < items.length; first += READ_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(first, first + READ_CONCURRENCY).map(work))));
  }
  return results;
}

/** The one place a driver row becomes a typed row: the selected columns, typed by the table's row type. */
export function typedRow<Row, C extends keyof Row & string>(
  row: cassandra.types.Row,
  columns: readonly C[],
): Pick<Row, C> {
  const typed = {} as Pick<Row, C>;
  for (const column of columns) typed[column] = row.get(column) as Row[C];
  return typed;
}

/** One keyspace's tables, typed by `Tables`: reads, upserts and deletes by primary key. */
export class TypedTables<Tables> {
  constructor(
    private readonly store: CassandraStore,
    readonly keyspace: string,
  ) {}

  /**
   * `SELECT <columns> FROM <keyspace>.<table> <clauses>` as a prepared statement, every page
   * read. The clauses (WHERE, ORDER BY, LIMIT) should keep a query to one partition.
   */
  async select<T extends keyof Tables & string, C extends keyof Tables[T] & string>(
    table: T,
    columns: readonly C[],
    clauses: string,
    params: unknown[],
  ): Promise<Pick<Tables[T], C>[]> {
    const query = `SELECT ${columns.join(', ')} FROM ${this.keyspace}.${table} ${clauses}`;
    const rows: Pick<Tables[T], C>[] = [];
    const result = await this.store.client.execute(query, params, { prepare: true, fetchSize: PAGE_SIZE });
    for await (const row of result) rows.push(typedRow<Tables[T], C>(row, columns));
    return rows;
  }

  /** Whole rows as idempotent upserts, through the store (bound to the same keyspace). */
  async upsert<T extends keyof Tables & string>(table: T, rows: Tables[T][]): Promise<void> {
    await this.store.upsertEvery(
      rows.map((values) => ({ table, values: values as Record<string, unknown> })),
    );
  }

  /** `DELETE FROM <keyspace>.<table> <clauses>`, the clauses naming one row or one partition. */
  async delete<T extends keyof Tables & string>(table: T, clauses: string, params: unknown[]): Promise<void> {
    await this.store.client.execute(`DELETE FROM ${this.keyspace}.${table} ${clauses}`, params, {
      prepare: true,
    });
  }
}
