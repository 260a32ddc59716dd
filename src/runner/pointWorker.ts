import { appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../core/tensor/backend';
import { toErrorInfo } from './errorInfo';
import { FILLS_CORES_FLAG, isSchedulerToPointWorker, type PointWorkerToScheduler, type SchedulerToPointWorker } from './pointProtocol';
import { runJob } from './runJob';
import { LOG_FILE, recordFailedStart } from './runStore';

/**
 * A local sweep's point worker (`runWorker.js --points`, forked with IPC by `pointWorkerPool.ts`):
 * runs the points it is sent one after another in this process, each exactly as a detached run
 * process would (`runJob`: its own folder, lock, events; its log lines in its `run.log`). A short
 * point then pays Node's start-up, module loading, wasm compilation and V8's JIT warm-up once per
 * worker instead of once per point (measured in docs/cluster.md).
 *
 * SIGTERM/SIGINT stop the point running now, resumable, as they stop a run's own process (Cancel
 * signals whoever holds the run's lock); the worker then takes the next point. An idle worker
 * that is signalled exits. When the scheduler goes away (the IPC channel closes), the worker
 * finishes its point and exits, as detached runs outlive theirs.
 *
 * A worker may be started before its sweep is planned (`PointWorkerPool.prestart`): while it
 * waits for its first point it sets up the default backend (the wasm binaries compiled and
 * instantiated), so that work overlaps the scheduler's planning instead of delaying the point.
 */
export function servePoints(): void {
  if (process.argv.includes(FILLS_CORES_FLAG)) optimiseLessEagerly();
  let current: { index: number; stop: boolean } | undefined;
  let served = 0;
  let disconnected = false;
  // What a point chooses is set up by its own run (`initBackend` again: a no-op for the same backend).
  // A failure here is the point's to report, with its run's own backend choice.
  const ready = initBackend('auto').then(() => undefined, () => undefined);

  const stop = () => {
    if (current) current.stop = true;
    else process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Its own session (detached): no terminal to hang up, but never let one stop a point either.
  process.on('SIGHUP', () => undefined);
  process.on('disconnect', () => {
    disconnected = true;
    if (!current) process.exit(0);
  });
  process.on('message', (message: unknown) => {
    if (!isSchedulerToPointWorker(message) || current) {
      process.stderr.write(`point worker ${process.pid}: ignored ${current ? 'a point while busy' : 'a malformed message'}: ${JSON.stringify(message)?.slice(0, 200)}\n`);
      return;
    }
    const point = (current = { index: message.index, stop: false });
    const nth = ++served;
    void ready.then(() => runPoint(message, point, nth)).then((retire) => {
      current = undefined;
      const ended: PointWorkerToScheduler = { type: 'pointEnded', index: message.index, retire };
      if (disconnected || !process.connected) process.exit(0);
      process.send?.(ended, undefined, undefined, () => {
        if (retire) process.exit(0);
      });
    });
  });
}

/**
 * V8 profiles functions as they run and has its optimising compiler (TurboFan) compile the hot
 * ones on background threads; a short run spends much of its CPU there (the first 0.5 s digits
 * point of a worker: ~0.6 of its ~1.5 CPU s; docs/cluster.md). With a core to spare that work is
 * free, but when the sweep's workers keep every core busy it takes CPU from the other points.
 * About four times V8's default tier-up budget (67,584 bytecode bytes per profiler tick) leaves
 * lukewarm functions unoptimised: 10% less CPU for the bench's two 2-point workers of the digits
 * sweep (4.80 -> 4.32 CPU s, three runs each), 5% on an 80-epoch point, whose main thread is then
 * ~6% slower: so only workers that share the cores get it. Speed only: results are bit-identical.
 * Set at run time: a V8 without the flag prints a warning (on the command line, an unknown flag
 * would stop Node from starting).
 */
function optimiseLessEagerly(): void {
  setFlagsFromString('--interrupt-budget=262144');
}

/** Runs one point; true when this process should take no more (the point left tensors allocated). */
async function runPoint(m: SchedulerToPointWorker, point: { stop: boolean }, served: number): Promise<boolean> {
  mkdirSync(m.runDir, { recursive: true });
  const logFile = path.join(m.runDir, LOG_FILE);
  const log = (level: string, text: string) => appendFileSync(logFile, `[${level}] ${text.replace(/\n/g, '\n  ')}\n`);
  log('info', `sweep point ${m.index} in worker process ${process.pid} (${served === 1 ? 'a new process' : `its point ${served}`})`);
  // The engine's count, not `tf.memory()`: that would initialise a backend before the run chose one.
  const tensorsBefore = tf.engine().state.numTensors;
  try {
    await runJob(m.request, { event: () => undefined, log }, () => point.stop);
  } catch (e) {
    const error = toErrorInfo(e);
    log('error', error.message);
    // Failed before the run had a record (e.g. the experiment changed since the plan): record it.
    if (!m.request.resumeDir) recordFailedStart(m.runDir, m.request, error);
  }
  const leaked = tf.engine().state.numTensors - tensorsBefore;
  if (leaked > 0) log('warn', `the run left ${leaked} tensor${leaked === 1 ? '' : 's'} allocated: its worker process takes no more points`);
  return leaked > 0;
}
