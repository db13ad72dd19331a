import { expect, test } from 'vitest';
import { runServices } from '../support/services.ts';

test('up on running services is a no-op that says so, and status reports each one answering', () => {
  const up = runServices('up');
  expect(up.status).toBe(0);
  for (const name of ['kafka', 'cassandra', 'prometheus']) {
    expect(up.output).toMatch(new RegExp(`${name}: already (running|answers) .*nothing to do`));
  }
  const status = runServices('status');
  expect(status.status).toBe(0);
  expect(status.output.match(/ answers /g)).toHaveLength(3);
});

test('a wrong argument is one line saying what is wrong, with a non-zero exit', () => {
  const wrong = runServices('up', 'zookeeper');
  expect(wrong.status).not.toBe(0);
  expect(wrong.output.trim()).toBe(
    "error: unknown service 'zookeeper' (known: kafka, cassandra, prometheus)",
  );
  const unknownCommand = runServices('restart');
  expect(unknownCommand.status).not.toBe(0);
  expect(unknownCommand.output.trim().split('\n')).toHaveLength(1);
});
