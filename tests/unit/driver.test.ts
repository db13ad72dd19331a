import { describe, expect, test } from 'vitest';
import { ok } from '../../common/result.ts';
import { TopologyTestDriver, type PipedRecord } from '../../processor/dsl/driver.ts';
import { ACCEPTED, source, tableRows, type SourceNode, type Topology } from '../../processor/dsl/topology.ts';

interface NumberTables {
  numbers: { n: number };
  evens: { n: number; half: number };
  /** Never written: reading it gives no rows. */
  squares: { n: number; square: number };
  /** One row per task per micro-batch: what that task was given in it. */
  batches: { partition: number; numbers: number[] };
  totals: { total: number };
}

const row = tableRows<NumberTables>();

const topologyOf = (node: SourceNode<number>): Topology => ({
  name: 'numbers',
  schema: { file: 'unused.cql', keyspace: 'unused' },
  sources: [source(node)],
  outputs: [],
});

const decodeNumber: SourceNode<number>['decode'] = (record) => ok(Number(record.value!.toString()));

const numberRecords = (numbers: number[], partitions = 1): PipedRecord[] =>
  numbers.map((n) => ({ key: null, value: String(n), partition: n % partitions }));

describe('the test driver reads one table typed', () => {
  test('rowsOf gives the values of exactly the rows written to that table, in the order written', () => {
    const driver = new TopologyTestDriver<NumberTables>(
      topologyOf({
        topic: 'numbers',
        partitions: 1,
        stateful: false,
        decode: decodeNumber,
        eventTime: () => 0,
        processor: () => ({
          process(n, _eventTime, out) {
            out.row(row('numbers', { n }));
            if (n % 2 === 0) out.row(row('evens', { n, half: n / 2 }));
            return ACCEPTED;
          },
        }),
      }),
    );
    driver.pipe('numbers', numberRecords([1, 2, 3, 4]));
    driver.pipe('numbers', numberRecords([5, 6]));
    const evens: NumberTables['evens'][] = driver.rowsOf('evens');
    expect(evens).toEqual([
      { n: 2, half: 1 },
      { n: 4, half: 2 },
      { n: 6, half: 3 },
    ]);
    expect(driver.rowsOf('numbers').map(({ n }) => n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(driver.rowsOf('squares')).toEqual([]);
    expect(driver.rows).toHaveLength(9);
    // @ts-expect-error: 'odds' is not one of the tables, so reading it does not compile.
    expect(driver.rowsOf('odds')).toEqual([]);
  });
});

describe('the test driver pipes a long run of records in micro-batches', () => {
  /** Each task writes, at the end of every micro-batch, the numbers it was given in it. */
  const batchesDriver = () =>
    new TopologyTestDriver<NumberTables>(
      topologyOf({
        topic: 'numbers',
        partitions: 2,
        stateful: false,
        decode: decodeNumber,
        eventTime: () => 0,
        processor: (task) => {
          let numbers: number[] = [];
          return {
            process(n) {
              numbers.push(n);
              return ACCEPTED;
            },
            endBatch(out) {
              out.row(row('batches', { partition: task.partition, numbers }));
              numbers = [];
            },
          };
        },
      }),
    );

  test('consecutive batches of at most batchSize, each record in its own partition', () => {
    const driver = batchesDriver();
    driver.pipeInBatches('numbers', numberRecords([0, 1, 2, 3, 4, 5, 6], 2), 3);
    expect(driver.rowsOf('batches')).toEqual([
      { partition: 0, numbers: [0, 2] },
      { partition: 1, numbers: [1] },
      { partition: 1, numbers: [3, 5] },
      { partition: 0, numbers: [4] },
      { partition: 0, numbers: [6] },
    ]);
    const manual = batchesDriver();
    for (const batch of [[0, 1, 2], [3, 4, 5], [6]]) manual.pipe('numbers', numberRecords(batch, 2));
    expect(driver.rows).toEqual(manual.rows);
  });

  test('restartAfter is asked after every batch, and a restart it chooses restores the tasks from the changelog', () => {
    const built: number[] = [];
    const driver = new TopologyTestDriver<NumberTables>(
      topologyOf({
        topic: 'numbers',
        partitions: 1,
        stateful: true,
        decode: decodeNumber,
        eventTime: (n) => n,
        processor: (task) => {
          built.push(task.partition);
          const sums = task.store<number>('sums');
          return {
            process(n) {
              sums.put('total', (sums.get('total') ?? 0) + n);
              return ACCEPTED;
            },
            endBatch: (out) => out.row(row('totals', { total: sums.get('total')! })),
          };
        },
      }),
    );
    const asked: number[] = [];
    driver.pipeInBatches('numbers', numberRecords([1, 2, 3, 4, 5, 6, 7, 8]), 2, {
      restartAfter: (batch) => {
        asked.push(batch);
        return batch % 2 === 0;
      },
    });
    expect(asked).toEqual([0, 1, 2, 3]);
    // Built for batch 0, and again after the restarts that followed batches 0 and 2.
    expect(built).toHaveLength(3);
    expect(driver.rowsOf('totals').map(({ total }) => total)).toEqual([3, 10, 21, 36]);
  });

  test('a run that divides evenly ends without an empty batch', () => {
    const asked: number[] = [];
    batchesDriver().pipeInBatches('numbers', numberRecords([0, 1, 2, 3, 4, 5]), 3, {
      restartAfter: (batch) => {
        asked.push(batch);
        return false;
      },
    });
    expect(asked).toEqual([0, 1]);
  });

  test('a batch size that is not a positive whole number is refused', () => {
    const driver = batchesDriver();
    expect(() => driver.pipeInBatches('numbers', numberRecords([1]), 0)).toThrow(RangeError);
    expect(() => driver.pipeInBatches('numbers', numberRecords([1]), 1.5)).toThrow(RangeError);
    expect(driver.rows).toEqual([]);
  });
});
