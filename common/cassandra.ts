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

/** A row Cassandra refuses for what it holds, with Cassandra's reason. */
export interface RefusedRow {
  row: Row;
  reason: string;
}

/** Cassandra's answer to a request that is invalid as sent: sending it again cannot succeed. */
function isRefusal(error: unknown): error is cassandra.errors.ResponseError {
  return (
    error instanceof cassandra.errors.ResponseError &&
    error.code === cassandra.types.responseErrorCodes.invalid
  );
}

/** A table's primary key, as the driver's schema metadata names it. */
export interface TableKey {
  partition: string[];
  clustering: string[];
}

/** How much one unlogged batch may carry. */
export interface BatchLimits {
  maxStatements: number;
  /** Estimated data bytes, as {@link estimateRowBytes} counts them. */
  maxBytes: number;
}

/**
 * How `upsert` writes: rows grouped into one unlogged batch per partition, 256 requests in flight.
 *
 * Measured with drone-report rows (6.56 a report; the reports generated in memory, their rows
 * computed before the clock starts, written into a fresh keyspace by sequential upsert calls of
 * one processor micro-batch each, 30,000-40,000 reports a run) against the 2-core dev machine's
 * Cassandra 5.0.5, which other work kept 90-100 % busy: runs of one setting varied up to 2x, so
 * each figure is the median of 7-16 interleaved runs, in reports/s:
 *
 *                                                  500 reports a call    5,000 reports a call
 *                                                                        (the processor's default now)
 *   (a) single prepared INSERTs, concurrency 128         3,460                 5,100
 *       (the old upsert)                           (22,700 rows/s)       (33,400 rows/s)
 *   (b) per-partition unlogged batches of <= 100 rows, by concurrency (c):
 *                                             32         4,440
 *                                             64         5,060                 6,320
 *                                            128         5,130                 6,870
 *                                   (chosen) 256         4,750                 7,430
 *                                                  (31,200 rows/s)       (48,700 rows/s)
 *
 * Rows written per CPU-second of Cassandra, steadier under the noise, at 5,000: (a) 30,400;
 * (b) 44,700, 46,600 and 51,100 at concurrency 64, 128 and 256. A call of 500 reports is 3,300
 * rows in 1,900 requests (every `reports` row is its own partition, most persons appear once);
 * 5,000 reports are 32,800 rows in 7,050 requests, hence the larger gain there. At 500, 64-256
 * are within the noise of each other (side by side in a quieter minute: 5,420, 5,820, 5,750).
 * Not taken: batches of one table across partitions (7,030 reports/s at 500, 7,600 at 5,000):
 * Cassandra logs a warning for each such batch over 10 partitions, fails one over
 * batch_size_fail_threshold (so everything would hang on the byte estimate being right), and in
 * a cluster their coordinator fans the writes out to other replicas.
 */
export const DEFAULT_UPSERT_TUNING: UpsertTuning = {
  concurrency: 256,
  batchByPartition: true,
  maxBatchStatements: 100,
  // Cassandra checks batch_size_fail_threshold (50 KiB by default, and services/cassandra.ts keeps
  // the default) only for a batch of several partitions (BatchStatement.verifyBatchSize: a batch of
  // one mutation is never checked; an 80 KB one-partition batch was accepted here). These batches
  // have one partition; the cap keeps them under the threshold all the same, and requests small.
  maxBatchBytes: 25 * 1024,
};

export interface UpsertTuning {
  /** Requests (single statements or batches) in flight at once. */
  concurrency: number;
  /** false: every row is its own prepared INSERT, as before the batching. */
  batchByPartition: boolean;
  maxBatchStatements: number;
  /** Estimated data bytes, as {@link estimateRowBytes} counts them. */
  maxBatchBytes: number;
}

/** Roughly the bytes Cassandra counts for a value (cell overheads included), erring on the high side. */
function valueBytes(value: unknown): number {
  if (value === null || value === undefined) return 0;
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value, 'utf8');
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
  }
  if (value instanceof Date) return 8;
  if (value instanceof Uint8Array) return value.length;
  // Each element of a collection is a cell of its own: a 16-byte path plus a timestamp.
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + 24 + valueBytes(item), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, item) => sum + 24 + valueBytes(item), 0);
  if (value instanceof Map) {
    return [...value].reduce((sum: number, [key, item]) => sum + 24 + valueBytes(key) + valueBytes(item), 0);
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    // A user-defined type: its fields, each with a length prefix.
    return Object.values(value).reduce((sum: number, item) => sum + 4 + valueBytes(item), 0);
  }
  // The driver's own types (Long, Uuid, InetAddress, LocalDate, ...): their text is never shorter.
  return String(value).length;
}

/** A row's data size as Cassandra's batch size check counts it, estimated: values plus 8 bytes a cell. */
export function estimateRowBytes(row: Row): number {
  let bytes = 0;
  for (const value of Object.values(row.values)) bytes += 8 + valueBytes(value);
  return bytes;
}

/** One column value as a string that equal values share: Dates by instant, Buffers by content. */
function keyPart(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${(typeof value)[0]}${value}`;
    case 'undefined':
      return 'u';
  }
  if (value === null) return 'u';
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof Uint8Array) return `b${Buffer.from(value).toString('hex')}`;
  if (Object.getPrototypeOf(value) === Object.prototype) return `j${JSON.stringify(value)}`;
  // The driver's own types (Long, Uuid, InetAddress, LocalDate, ...) print their value.
  return `o${String(value)}`;
}

function keyOf(values: Record<string, unknown>, columns: readonly string[]): string {
  if (columns.length === 1) return keyPart(values[columns[0]!]);
  let key = '';
  for (const column of columns) key += `${keyPart(values[column])}\u0000`;
  return key;
}

interface Partition {
  rows: Row[];
  /** Clustering key -> index in rows; built at a second row (most partitions of a call have one). */
  rowIndex?: Map<string, number>;
}

/** Later values win, as in two upserts in a row; an undefined value is unset, so overwrites nothing. */
function mergeRows(earlier: Row, later: Row): Row {
  const values = { ...earlier.values };
  for (const [column, value] of Object.entries(later.values)) if (value !== undefined) values[column] = value;
  return { table: earlier.table, values };
}

function addRow(partition: Partition, row: Row, clustering: readonly string[]): void {
  if (partition.rowIndex === undefined) {
    partition.rowIndex = new Map(
      partition.rows.map((earlier, index) => [keyOf(earlier.values, clustering), index]),
    );
  }
  const key = keyOf(row.values, clustering);
  const earlier = partition.rowIndex.get(key);
  if (earlier === undefined) {
    partition.rowIndex.set(key, partition.rows.length);
    partition.rows.push(row);
  } else {
    partition.rows[earlier] = mergeRows(partition.rows[earlier]!, row);
  }
}

/** Cuts one partition's rows into runs within the limits, in order. */
function cutRuns(rows: Row[], limits: BatchLimits, runs: Row[][]): void {
  if (rows.length === 1) {
    runs.push(rows);
    return;
  }
  let run: Row[] = [];
  let runBytes = 0;
  for (const row of rows) {
    const bytes = estimateRowBytes(row);
    if (run.length > 0 && (run.length >= limits.maxStatements || runBytes + bytes > limits.maxBytes)) {
      runs.push(run);
      run = [];
      runBytes = 0;
    }
    run.push(row);
    runBytes += bytes;
  }
  runs.push(run);
}

/**
 * Plans an upsert: the rows grouped by table and partition key, each group cut into runs of at
 * most `limits.maxStatements` rows and `limits.maxBytes` estimated bytes, rows kept in their
 * order within a partition. Each run is one request: a single row is a plain statement, more
 * rows are one unlogged batch (one partition: one mutation, no batch log, no coordinator fan-out).
 * Rows with the same primary key in one call are merged into the first one's place, later
 * values winning, as written one after the other they would; so no run writes a row twice.
 */
export function planUpserts(
  rows: readonly Row[],
  keyOfTable: (table: string) => TableKey,
  limits: BatchLimits,
): Row[][] {
  const tables = new Map<string, { key: TableKey; partitions: Map<string, Partition> }>();
  for (const row of rows) {
    let table = tables.get(row.table);
    if (table === undefined) {
      table = { key: keyOfTable(row.table), partitions: new Map() };
      tables.set(row.table, table);
    }
    const partitionKey = keyOf(row.values, table.key.partition);
    const partition = table.partitions.get(partitionKey);
    if (partition === undefined) table.partitions.set(partitionKey, { rows: [row] });
    else addRow(partition, row, table.key.clustering);
  }
  const runs: Row[][] = [];
  for (const table of tables.values()) {
    for (const partition of table.partitions.values()) cutRuns(partition.rows, limits, runs);
  }
  return runs;
}

/**
 * Runs `work` on every item, given with its index, at most `concurrency` at a time. After a
 * failure it starts no more, lets the running ones settle (a retry of the whole call then races
 * none of them), and rethrows the first error.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

export interface CassandraSettings {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  /** How `upsert` writes; the defaults are the fastest measured. */
  upsert?: Partial<UpsertTuning>;
}

/** Writes rows as prepared, idempotent upserts; knows tables and columns, not streams. */
export class CassandraStore {
  readonly client: cassandra.Client;
  private readonly tuning: UpsertTuning;
  private readonly tableKeys = new Map<string, Promise<TableKey>>();

  constructor(private readonly settings: CassandraSettings) {
    this.tuning = { ...DEFAULT_UPSERT_TUNING, ...settings.upsert };
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

  /**
   * Whether the driver holds a connection to some Cassandra node now: it drops a node as soon as
   * its connections close, so during an outage this turns false within moments, at no cost.
   */
  isReachable(): boolean {
    return this.client.getState().getConnectedHosts().length > 0;
  }

  async applySchema(schemaFile: string, schemaKeyspace: string): Promise<void> {
    const cql = fs.readFileSync(schemaFile, 'utf8');
    for (const statement of schemaStatements(cql, schemaKeyspace, this.settings.keyspace)) {
      await this.client.execute(statement);
    }
  }

  /** A table's primary key columns, read once from the driver's schema metadata. */
  private tableKey(table: string): Promise<TableKey> {
    let key = this.tableKeys.get(table);
    if (key === undefined) {
      const { keyspace } = this.settings;
      key = this.client.metadata.getTable(keyspace, table).then((metadata) => {
        if (!metadata) throw new Error(`no table ${keyspace}.${table}`);
        return {
          partition: metadata.partitionKeys.map((column) => column.name),
          clustering: metadata.clusteringKeys.map((column) => column.name),
        };
      });
      // A failed read (Cassandra away, schema not applied yet) is asked again next time.
      key.catch(() => this.tableKeys.delete(table));
      this.tableKeys.set(table, key);
    }
    return key;
  }

  /**
   * Upserts rows of any tables of the keyspace. Resolves to the rows Cassandra refused for what
   * they hold (a key over 64 KiB, say), in the order planUpserts gives the rows, each written
   * alone first so that only those are left out: writing them again cannot succeed. Fails on any
   * other error (Cassandra away, a timeout, a table or column the keyspace lacks); then the call
   * may be retried.
   */
  async upsert(rows: Row[]): Promise<RefusedRow[]> {
    if (rows.length === 0) return [];
    const { keyspace } = this.settings;
    const { concurrency, batchByPartition } = this.tuning;
    let runs: Row[][];
    if (batchByPartition) {
      const tables = [...new Set(rows.map((row) => row.table))];
      const keys = new Map(
        await Promise.all(tables.map(async (table) => [table, await this.tableKey(table)] as const)),
      );
      runs = planUpserts(rows, (table) => keys.get(table)!, {
        maxStatements: this.tuning.maxBatchStatements,
        maxBytes: this.tuning.maxBatchBytes,
      });
    } else {
      runs = rows.map((row) => [row]);
    }
    const options = { prepare: true, isIdempotent: true };
    const writeOne = (row: Row) =>
      this.client.execute(upsertStatement(keyspace, row), Object.values(row.values), options);
    const refused: (RefusedRow & { run: number })[] = [];
    const writeAlone = async (row: Row, run: number) => {
      try {
        await writeOne(row);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        // An invalid request is also what a table or column the keyspace lacks gets: that is
        // the schema's fault, not the row's, and is retried until the schema is there.
        await this.expectColumns(row);
        refused.push({ row, reason: error.message, run });
      }
    };
    // Bounded concurrency: a large micro-batch must not exceed the driver's in-flight limit.
    await forEachBounded(runs, concurrency, async (run, index) => {
      if (run.length === 1) return writeAlone(run[0]!, index);
      try {
        await this.client.batch(
          run.map((row) => ({ query: upsertStatement(keyspace, row), params: Object.values(row.values) })),
          { ...options, logged: false },
        );
      } catch (error) {
        if (!isRefusal(error)) throw error;
        for (const row of run) await writeAlone(row, index);
      }
    });
    // Requests finish in any order; the answer keeps the plan's (a stable sort keeps a run's rows in order).
    return refused.sort((a, b) => a.run - b.run).map(({ row, reason }) => ({ row, reason }));
  }

  /** Upserts rows that must all be written: a row refused is an error. */
  async upsertEvery(rows: Row[]): Promise<void> {
    const refused = await this.upsert(rows);
    if (refused.length > 0) {
      const { row, reason } = refused[0]!;
      throw new Error(`Cassandra refused ${refused.length} row(s), the first of ${row.table}: ${reason}`);
    }
  }

  /** Throws unless the keyspace's table has every column of the row, as the schema read now says. */
  private async expectColumns(row: Row): Promise<void> {
    const { keyspace } = this.settings;
    const metadata = await this.client.metadata.getTable(keyspace, row.table);
    if (!metadata) throw new Error(`no table ${keyspace}.${row.table}`);
    const missing = Object.keys(row.values).filter((column) => metadata.columnsByName[column] === undefined);
    if (missing.length > 0)
      throw new Error(`table ${keyspace}.${row.table} has no column ${missing.join(', ')}`);
  }

  async shutdown(): Promise<void> {
    await this.client.shutdown();
  }
}
