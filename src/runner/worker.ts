/**
 * Entry point of a run's child process (bundled as `dist/runWorker.js`). It waits for one
 * `start` message, runs the job, reports over IPC, and exits. Cancellation (a `cancel`
 * message, SIGTERM or SIGINT) is honoured at the next step boundary; the run store is left
 * resumable. Anything that goes wrong stays in this process: the host only sees messages
 * and an exit code.
 * Started with `--run REQUEST_JSON` (see `detachedRun.ts`), it is a detached run instead: no
 * IPC, its output goes to the run's `run.log`, everything else to the run store, and it
 * keeps going whoever started it goes away; SIGTERM/SIGINT stop it (Cancel).
 */
import * as path from 'node:path';
import { DETACHED_FLAG } from './detachedRun';
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

const requestStop = () => {
  stopRequested = true;
};
process.on('SIGTERM', requestStop);
process.on('SIGINT', requestStop);

const flag = process.argv.indexOf(DETACHED_FLAG);
if (flag >= 0) runDetached(JSON.parse(process.argv[flag + 1] ?? '{}') as RunRequest);
// The host went away: stop cleanly rather than train for nobody.
else process.on('disconnect', requestStop);

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
    void send({ type: 'log', level: 'warn', message: `ignored malformed message: ${JSON.stringify(message).slice(0, 200)}` });
    return;
  }
  if (message.type === 'cancel') {
    requestStop();
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
