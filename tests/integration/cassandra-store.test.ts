import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CassandraStore, type Row } from '../../common/cassandra.ts';
import { droneReports } from '../../streams/harmony/drones.ts';
import type { DroneReport } from '../../streams/harmony/schema.ts';
import { projectRoot } from '../../services/config.ts';
import { cassandraContactPoint, uniqueName } from '../support/services.ts';

const keyspace = uniqueName('store');
const schemaFile = path.join(projectRoot, 'streams/harmony/schema.cql');
const settings = { contactPoints: [cassandraContactPoint], localDataCenter: 'datacenter1', keyspace };
const store = new CassandraStore(settings);
// The same writes planned otherwise: batches of at most 7 rows and 1.5 KB, so every partition is cut.
const smallBatches = new CassandraStore({
  ...settings,
  upsert: { maxBatchStatements: 7, maxBatchBytes: 1500 },
});
const HOUR_MS = 3_600_000;
const start = new Date('2026-03-01T10:00:00Z');

beforeAll(async () => {
  await store.connect();
  await smallBatches.connect();
  await store.applySchema(schemaFile, 'harmony');
});

afterAll(async () => {
  await store.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await store.shutdown();
  await smallBatches.shutdown();
});

/** Rows of every harmony table, with every column set (a column never written reads back as null). */
function harmonyTableRows(): Row[] {
  const rows: Row[] = [];
  // 2 s apart: the 800 reports fall in one hour, a partition of reports_by_hour 8 batches long.
  const reports = droneReports({ seed: 7, drones: 20, start, intervalMs: 2000 });
  for (let index = 0; index < 800; index += 1) {
    const report: DroneReport = reports.next().value!;
    const eventTime = new Date(report.event_time);
    const hour = new Date(Math.floor(eventTime.getTime() / HOUR_MS) * HOUR_MS);
    const low = report.persons.filter((person) => person.harmony_score < 2);
    const common = { drone_id: report.drone_id, lat: report.lat, lon: report.lon };
    rows.push(
      {
        table: 'reports',
        values: {
          report_id: report.report_id,
          ...common,
          event_time: eventTime,
          persons: report.persons,
          persons_count: report.persons.length,
          low_count: low.length,
        },
      },
      {
        table: 'reports_by_hour',
        values: {
          hour,
          event_time: eventTime,
          report_id: report.report_id,
          ...common,
          persons_count: report.persons.length,
          low_count: low.length,
          score_sum: report.persons.reduce((sum, person) => sum + person.harmony_score, 0),
        },
      },
    );
    for (const person of report.persons) {
      const seen = {
        person_id: person.person_id,
        first_name: person.first_name,
        last_name: person.last_name,
        harmony_score: person.harmony_score,
      };
      rows.push({
        table: 'person_scores',
        values: { ...seen, event_time: eventTime, report_id: report.report_id, drone_id: report.drone_id },
      });
      if (person.harmony_score < 2) {
        rows.push({
          table: 'low_scores_by_hour',
          values: { ...seen, hour, event_time: eventTime, report_id: report.report_id },
        });
      }
    }
  }
  for (let rank = 1; rank <= 130; rank += 1) {
    rows.push({
      table: 'top_low_persons',
      values: {
        board: 'latest',
        rank,
        person_id: `p-${rank}`,
        name: `Person ${rank} ${'é'.repeat(rank % 5)}`,
        low_count: 200 - rank,
        avg_score: rank / 100,
        window_start: start,
        window_end: new Date(start.getTime() + HOUR_MS),
        threshold: 2,
        computed_at: new Date(start.getTime() + 2 * HOUR_MS),
      },
    });
  }
  // A composite partition key (bucket_seconds, hour), partitions over one batch long.
  for (const bucketSeconds of [1, 60]) {
    for (let bucket = 0; bucket < 150; bucket += 1) {
      const bucketStart = new Date(start.getTime() + bucket * bucketSeconds * 1000);
      rows.push({
        table: 'report_stats',
        values: {
          bucket_seconds: bucketSeconds,
          hour: new Date(Math.floor(bucketStart.getTime() / HOUR_MS) * HOUR_MS),
          bucket_start: bucketStart,
          reports: bucket,
          persons: bucket * 3,
          low_persons: bucket % 4,
          avg_score: bucket / 7,
          avg_persons_per_report: 3,
          avg_low_persons_per_report: (bucket % 4) / Math.max(1, bucket),
          computed_at: start,
        },
      });
    }
  }
  return rows;
}

/** A table's rows as plain objects, in a stable order. */
async function readTable(table: string): Promise<Record<string, unknown>[]> {
  const result = await store.client.execute(`SELECT * FROM ${keyspace}.${table}`, [], { fetchSize: 100_000 });
  return sortRows(
    result.rows.map((row) => Object.fromEntries(row.keys().map((column) => [column, row.get(column)]))),
  );
}

function sortRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const keyed = rows.map(
    (row) => [JSON.stringify(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))), row] as const,
  );
  return keyed.sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row);
}

const TABLES = [
  'reports',
  'reports_by_hour',
  'person_scores',
  'low_scores_by_hour',
  'top_low_persons',
  'report_stats',
];

test('upsert writes rows of every table, partitions longer than one batch included, and they read back exactly', async () => {
  const rows = harmonyTableRows();
  expect(rows.length).toBeGreaterThan(4000);
  const byTable = (table: string) => rows.filter((row) => row.table === table).map((row) => row.values);
  expect(byTable('low_scores_by_hour').length).toBeGreaterThan(0);

  await store.upsert(rows);
  const written: Record<string, Record<string, unknown>[]> = {};
  for (const table of TABLES) {
    written[table] = await readTable(table);
    expect(written[table], table).toEqual(sortRows(byTable(table)));
  }

  // Again, and again planned in small batches: an upsert is idempotent, the tables do not change.
  await store.upsert(rows);
  await smallBatches.upsert([...rows].reverse());
  for (const table of TABLES) expect(await readTable(table), table).toEqual(written[table]);
});

test('the same row twice in one call: later values win, an undefined one leaves the column as it was', async () => {
  const row = (values: Record<string, unknown>): Row => ({
    table: 'top_low_persons',
    values: { board: 'twice', rank: 1, ...values },
  });
  await store.upsert([
    row({ person_id: 'p-1', name: 'First', low_count: 1 }),
    row({ person_id: 'p-2', name: undefined, low_count: 2 }),
    row({ person_id: 'p-3' }),
  ]);
  const result = await store.client.execute(
    `SELECT person_id, name, low_count FROM ${keyspace}.top_low_persons WHERE board = 'twice'`,
  );
  expect(result.rows.map((read) => ({ ...read }))).toEqual([
    { person_id: 'p-3', name: 'First', low_count: 2 },
  ]);
});

test('a table the keyspace does not have fails the upsert with its name', async () => {
  await expect(store.upsert([{ table: 'no_such_table', values: { id: 1 } }])).rejects.toThrow(
    `no table ${keyspace}.no_such_table`,
  );
});

test('rows Cassandra refuses for what they hold come back with its reason; the rest of the call is written', async () => {
  const hour = new Date('2026-03-02T10:00:00Z');
  const activity = (droneId: string): Row => ({
    table: 'drone_activity_by_hour',
    values: { hour, drone_id: droneId, reports: 1 },
  });
  const tooLong = 'd'.repeat(70_000);
  // One partition (a batch with a refused row in it) and one row alone with a refused partition key.
  const refused = await store.upsert([
    activity('d-1'),
    activity(tooLong),
    activity('d-2'),
    { table: 'reports', values: { report_id: tooLong, drone_id: 'd-1' } },
  ]);
  expect(
    refused.map(({ row }) => [
      row.table,
      String(row.values[row.table === 'reports' ? 'report_id' : 'drone_id']).length,
    ]),
  ).toEqual([
    ['drone_activity_by_hour', 70_000],
    ['reports', 70_000],
  ]);
  expect(refused.every(({ reason }) => /length|65535/i.test(reason))).toBe(true);
  const written = await store.client.execute(
    `SELECT drone_id FROM ${keyspace}.drone_activity_by_hour WHERE hour = ?`,
    [hour],
    { prepare: true },
  );
  expect(written.rows.map((row) => row['drone_id'] as string)).toEqual(['d-1', 'd-2']);
  await expect(store.upsertEvery([activity(tooLong)])).rejects.toThrow(/Cassandra refused 1 row/);
});

test('a column the table lacks fails the upsert (the schema is at fault, not the row)', async () => {
  await expect(
    store.upsert([{ table: 'top_low_persons', values: { board: 'b', rank: 1, no_such_column: 1 } }]),
  ).rejects.toThrow(`table ${keyspace}.top_low_persons has no column no_such_column`);
});
