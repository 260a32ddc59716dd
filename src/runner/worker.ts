/**
 * Entry point of a runner child process (bundled as `dist/runWorker.js`). Either it waits for
 * one `start` message, runs the experiment, reports over IPC, and exits; or it takes
 * interactive `job`s (`interactiveJobs.ts`) for as long as the host keeps it. Cancellation of a
 * run (a `cancel` message, SIGTERM or SIGINT) is honoured at the next step boundary; the run
 * store is left resumable. Anything that goes wrong stays in this process: the host only sees
 * messages and an exit code.
 * Started with `--run REQUEST_JSON` (see `detachedRun.ts`), it is a detached run instead: no
 * IPC, its output goes to the run's `run.log`, everything else to the run store, and it
 * keeps going whoever started it goes away; SIGTERM/SIGINT stop it (Cancel).
 */
import * as path from 'node:path';
import { DETACHED_FLAG } from './detachedRun';
import { InteractiveJobs } from './interactiveJobs';
import { isHostToWorker, type RunRequest, type WorkerToHost } from './protocol';
import { runJob } from './runJob';
import { toErrorInfo } from './errorInfo';
import { recordFailedStart } from './runStore';

let stopRequested = false;
let started = false;

function send(message: WorkerToHost): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

const jobs = new InteractiveJobs(send);
/** Set by the first `job`: this process serves interactive jobs, not a run. */
let takesJobs = false;

const requestStop = () => {
  stopRequested = true;
  jobs.cancelAll();
};
process.on('SIGTERM', requestStop);
process.on('SIGINT', requestStop);

const flag = process.argv.indexOf(DETACHED_FLAG);
if (flag >= 0) runDetached(JSON.parse(process.argv[flag + 1] ?? '{}') as RunRequest);
else {
  process.on('disconnect', () => {
    // The host went away: stop cleanly rather than train for nobody; a job process (or one that
    // has not started anything) has nobody to answer.
    requestStop();
    if (takesJobs || !started) process.exit(0);
  });
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

process.on('message', (message: unknown) => {
  if (!isHostToWorker(message)) {
    void send({ type: 'log', level: 'warn', message: `ignored malformed message: ${JSON.stringify(message)?.slice(0, 200)}` });
    return;
  }
  switch (message.type) {
    case 'cancel':
      requestStop();
      return;
    case 'job':
      takesJobs = true;
      jobs.start(message.id, message.job);
      return;
    case 'cancelJob':
      jobs.cancel(message.id);
      return;
  }
  if (started) return;
  started = true;
  runJob(
    message.request,
    {
      event: (event) => void send({ type: 'event', event }),
      log: (level, text) => void send({ type: 'log', level, message: text }),
    },
    () => stopRequested,
  )
    .then(async (summary) => {
      await send({ type: 'result', summary });
      process.exit(0);
    })
    .catch(async (e) => {
      const error = toErrorInfo(e);
      await send({ type: 'error', error });
      process.exit(error.user ? 2 : 1);
    });
});
