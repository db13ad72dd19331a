import cassandra from 'cassandra-driver';
import { afterAll, expect, test } from 'vitest';
import { cassandraContactPoint, uniqueName } from '../support/services.ts';

const client = new cassandra.Client({
  contactPoints: [cassandraContactPoint],
  localDataCenter: 'datacenter1',
});
const keyspace = uniqueName('foundation');

afterAll(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

test('prepared statements write rows that read back exactly as written', async () => {
  await client.connect();
  await client.execute(
    `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await client.execute(
    `CREATE TABLE ${keyspace}.readings (sensor text, at timestamp, value double, tags list<text>, PRIMARY KEY ((sensor), at))`,
  );
  const written = Array.from({ length: 200 }, (_, index) => ({
    sensor: `sensor-${index % 5}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, index)),
    value: index * 0.25,
    tags: [`t${index % 3}`, 'fixed'],
  }));
  const insert = `INSERT INTO ${keyspace}.readings (sensor, at, value, tags) VALUES (?, ?, ?, ?)`;
  for (const row of written) {
    await client.execute(insert, [row.sensor, row.at, row.value, row.tags], { prepare: true });
  }

  const read: typeof written = [];
  for (let sensor = 0; sensor < 5; sensor += 1) {
    const result = await client.execute(
      `SELECT sensor, at, value, tags FROM ${keyspace}.readings WHERE sensor = ?`,
      [`sensor-${sensor}`],
      { prepare: true },
    );
    for (const row of result.rows) {
      read.push({ sensor: row.sensor, at: row.at, value: row.value, tags: row.tags });
    }
  }
  const byTime = (a: { at: Date }, b: { at: Date }) => a.at.getTime() - b.at.getTime();
  expect(read.sort(byTime)).toEqual([...written].sort(byTime));
});
