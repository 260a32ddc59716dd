/**
 * Stands in for an extension host: starts a detached run (`node --import tsx startRun.ts FILE
 * OUT_ROOT WORKER`), prints its run folder, and stays alive until it is killed.
 */
import { startDetachedRun } from '../../../src/runner/detachedRun';

const run = startDetachedRun({ experimentFile: process.argv[2], outRoot: process.argv[3], workerScript: process.argv[4] });
process.stdout.write(`${run.runDir}\n`);
setInterval(() => undefined, 1 << 30);
