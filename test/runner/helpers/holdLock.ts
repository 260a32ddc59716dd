/**
 * A process that takes a run folder's lock and keeps it until it is killed, as a run process
 * does: `node --import tsx holdLock.ts RUN_DIR`. Prints `locked` once it holds the lock.
 */
import { acquireRunLock } from '../../../src/runner/runLock';

acquireRunLock(process.argv[2], { command: 'holdLock test process' });
process.stdout.write('locked\n');
setInterval(() => undefined, 1 << 30);
