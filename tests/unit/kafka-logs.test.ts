import { logLevel } from 'kafkajs';
import { expect, test } from 'vitest';
import { kafkaLogLevel } from '../../common/kafka/kafkajs.ts';

test("kafkajs' routine CONCURRENT_TRANSACTIONS retry is debug, its other errors warnings, its info info", () => {
  const concurrent = {
    error:
      'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
  };
  expect(kafkaLogLevel(logLevel.ERROR, 'Response AddPartitionsToTxn(key: 24, version: 1)', concurrent)).toBe(
    'debug',
  );
  expect(
    kafkaLogLevel(logLevel.WARN, `Failed to send messages: ${concurrent.error}`, { retryCount: 0 }),
  ).toBe('debug');
  expect(
    kafkaLogLevel(logLevel.ERROR, 'Response FindCoordinator(key: 10, version: 2)', {
      error: "The coordinator is loading and hence can't process requests",
    }),
  ).toBe('warn');
  expect(kafkaLogLevel(logLevel.WARN, 'Connection timeout', {})).toBe('warn');
  expect(kafkaLogLevel(logLevel.INFO, 'Consumer has joined the group', {})).toBe('info');
  expect(
    kafkaLogLevel(
      logLevel.WARN,
      'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      {},
    ),
  ).toBe('skip');
});
