/**
 * Stands in for an extension host: starts a detached run (`node --import tsx startRun.ts FILE
 * OUT_ROOT WORKER`), prints its run folder, and stays alive until it is killed.
 */
import { loadExperimentFile } from '../../../src/core/experiment/load';
import { startDetachedRun } from '../../../src/runner/detachedRun';

void loadExperimentFile(process.argv[2]).then((experiment) => {
  const run = startDetachedRun({ experiment, outRoot: process.argv[3], workerScript: process.argv[4] });
  process.stdout.write(`${run.runDir}\n`);
});
setInterval(() => undefined, 1 << 30);
