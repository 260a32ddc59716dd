/**
 * Entry point of a run's child process (bundled as `dist/runWorker.js`). It waits for one
 * `start` message, runs the job, reports over IPC, and exits. Cancellation (a `cancel`
 * message, SIGTERM or SIGINT) is honoured at the next step boundary; the run store is left
 * resumable. Anything that goes wrong stays in this process: the host only sees messages
 * and an exit code.
 */
import { isHostToWorker, type WorkerToHost } from './protocol';
import { runJob } from './runJob';
import { toErrorInfo } from './errorInfo';

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
// The host went away: stop cleanly rather than train for nobody.
process.on('disconnect', requestStop);

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
