import { stopRegisteredPrograms } from './programs.ts';
import { runServices } from './services.ts';

const serviceNames = ['kafka', 'cassandra', 'prometheus'];

/**
 * Brings up whichever services are not already running, and on teardown stops only
 * those, so a developer's running services are left as they were found.
 */
export default function setup(): () => void {
  const leftovers = stopRegisteredPrograms();
  if (leftovers > 0) console.warn(`stopped ${leftovers} program(s) an interrupted earlier run left running`);
  const startedHere = serviceNames.filter((name) => runServices('status', name).status !== 0);
  if (startedHere.length > 0) {
    const up = runServices('up', ...startedHere);
    if (up.status !== 0) {
      throw new Error(
        `The integration tests need the real services; \`npm run services -- up\` failed:\n${up.output}`,
      );
    }
  }
  return () => {
    stopRegisteredPrograms();
    if (startedHere.length > 0) runServices('down', ...startedHere);
  };
}
