/**
 * Entry point of a runner child process (bundled as `dist/runWorker.js`), in one of three modes.
 * Started with `--run REQUEST_JSON` (see `detachedRun.ts`), it is a run: no IPC, its output
 * goes to the run's `run.log`, everything else to the run store, and it keeps going whoever
 * started it goes away; SIGTERM/SIGINT (Cancel) stop it within a step, leaving the run store
 * resumable. Forked with IPC (`jobProcess.ts`), it takes interactive `job`s
 * (`interactiveJobs.ts`) for as long as the host keeps it. Forked with `--points` by a local
 * sweep's scheduler, it runs the sweep points it is sent, one after another (`pointWorker.ts`).
 * Anything that goes wrong stays in this process: the host only sees the run store, messages
 * and an exit code.
 */
import * as path from 'node:path';
import { DETACHED_FLAG } from './detachedRun';
import { InteractiveJobs } from './interactiveJobs';
import { POINTS_FLAG } from './pointProtocol';
import { servePoints } from './pointWorker';
import { isHostToWorker, type RunRequest, type WorkerToHost } from './protocol';
import { runJob } from './runJob';
import { toErrorInfo } from './errorInfo';
import { recordFailedStart } from './runStore';

let stopRequested = false;

function send(message: WorkerToHost): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

const jobs = new InteractiveJobs(send);

const requestStop = () => {
  stopRequested = true;
  jobs.cancelAll();
};

const flag = process.argv.indexOf(DETACHED_FLAG);
if (process.argv.includes(POINTS_FLAG)) servePoints();
else {
  process.on('SIGTERM', requestStop);
  process.on('SIGINT', requestStop);
  if (flag >= 0) runDetached(JSON.parse(process.argv[flag + 1] ?? '{}') as RunRequest);
  else {
    process.on('disconnect', () => {
      // The host went away: a job process has nobody to answer.
      requestStop();
      process.exit(0);
    });
    process.on('message', onJobMessage);
  }
}

/** A detached run: reports only through the run store and `run.log` (this process's stdout). */
function runDetached(request: RunRequest): void {
  // No terminal to hang up (a new session), but never let one stop the run either.
  process.on('SIGHUP', () => undefined);
  const log = (level: string, text: string) => process.stdout.write(`[${level}] ${text.replace(/\n/g, '\n  ')}\n`);
  runJob(request, { event: () => undefined, log }, () => stopRequested).then(
    () => process.exit(0),
    (e) => {
      const error = toErrorInfo(e);
      log('error', error.message);
      // Failed before the run had a record (the experiment file changed after VS Code checked it): record it.
      if (!request.resumeDir && request.runId && request.outRoot) {
        recordFailedStart(path.join(request.outRoot, request.runId), request, error);
      }
      process.exit(error.user ? 2 : 1);
    },
  );
}

function onJobMessage(message: unknown): void {
  if (!isHostToWorker(message)) {
    void send({ type: 'log', level: 'warn', message: `ignored malformed message: ${JSON.stringify(message)?.slice(0, 200)}` });
    return;
  }
  switch (message.type) {
    case 'job':
      jobs.start(message.id, message.job);
      return;
    case 'cancelJob':
      jobs.cancel(message.id);
      return;
  }
}
