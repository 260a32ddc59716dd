/**
 * A run process that ends the way a failing job does: its final status first, its last log line
 * after (`node --import tsx endThenLog.ts RUN_DIR`). Each step waits for a line on stdin, so a
 * test decides when it happens: the first line writes the failed status (prints `ended`), the
 * second appends the error to the run's log and exits.
 */
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as store from '../../../src/runner/runStore';

const runDir = process.argv[2];
const steps = [
  async () => {
    await store.recordFailure(runDir, { message: 'the data has 10 classes', user: true });
    process.stdout.write('ended\n');
  },
  async () => {
    appendFileSync(path.join(runDir, store.LOG_FILE), '[error] the data has 10 classes\n');
    process.exit(1);
  },
];
createInterface({ input: process.stdin }).on('line', () => void steps.shift()?.());
