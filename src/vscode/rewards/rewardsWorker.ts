/**
 * `worker_threads` entry for the reward panel (bundled as `dist/rewardsWorker.js`): DARD or
 * minimal canonicalisation of a large MDP takes seconds, which must not block the extension
 * host. The host terminates the worker to cancel a computation that a newer request replaces.
 */
import { parentPort } from 'node:worker_threads';
import { RewardsComputation, toComputeErrorInfo } from './rewardsCompute';
import { isWorkerRequest, type WorkerReply } from './workerProtocol';

const computation = new RewardsComputation();
const port = parentPort;

port?.on('message', (m: unknown) => {
  if (!isWorkerRequest(m)) {
    port.postMessage({ id: -1, ok: false, error: toComputeErrorInfo(new Error('malformed request')) } satisfies WorkerReply);
    return;
  }
  const job = m.kind === 'matrix' ? computation.matrix(m.request) : computation.difference({ ...m.request, row: m.row, col: m.col });
  job.then(
    (result) => {
      const reply: WorkerReply = { id: m.id, ok: true, result };
      // The difference values are transferred, not copied.
      port.postMessage(reply, 'values' in result ? [result.values.buffer as ArrayBuffer] : []);
    },
    (e: unknown) => port.postMessage({ id: m.id, ok: false, error: toComputeErrorInfo(e) } satisfies WorkerReply),
  );
});
