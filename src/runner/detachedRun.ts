import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import * as path from 'node:path';
import type { RunRequest } from './protocol';
import { planRun, type StartRunOptions } from './runSource';
import * as store from './runStore';

export interface DetachedRun {
  runId: string;
  runDir: string;
  /** The run's process; nothing ties its life to this one's. */
  child: ChildProcess;
}

/** The argument that puts the worker in detached mode, followed by the request as JSON. */
export const DETACHED_FLAG = '--run';

/**
 * Starts a run in a process of its own that outlives the one that started it: a new session
 * and process group (`detached`), no IPC channel, output to the run's `run.log`, and nothing
 * reported but the run store (`RunFollower` reads it). Reloading or closing the VS Code
 * window, or a crash of the extension host, leaves the run going; only Cancel (a signal to
 * the process that holds the run's lock) stops it.
 */
export function startDetachedRun(opts: StartRunOptions): DetachedRun {
  const { runId, runDir, request } = planRun(opts);
  return { runId, runDir, child: spawnDetachedRun(request, runDir, opts.workerScript) };
}

/** `startDetachedRun` of a request the caller planned (a sweep's point: its run id and sweep are set). */
export function spawnDetachedRun(request: RunRequest, runDir: string, workerScript?: string): ChildProcess {
  const file = request.experimentFile;
  mkdirSync(runDir, { recursive: true });
  const log = openSync(path.join(runDir, store.LOG_FILE), 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [workerScript ?? path.join(__dirname, 'runWorker.js'), DETACHED_FLAG, JSON.stringify(request)], {
      detached: true,
      stdio: ['ignore', log, log],
      // Under VS Code's Electron, the host binary behaves as plain Node with this.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      cwd: path.dirname(file),
      windowsHide: true,
    });
  } finally {
    closeSync(log);
  }
  child.unref();
  child.on('error', () => undefined); // reported through the exit below and by the follower
  if (!request.resumeDir) {
    // A new run whose process died before writing its record (it could not start at all)
    // still becomes a failed run, so the failure is visible rather than a stray folder.
    child.once('exit', (code, signal) => {
      const message = `the run process exited before the run started (${signal ? `signal ${signal}` : `exit code ${code}`}); see ${store.LOG_FILE} in the run folder`;
      store.recordFailedStart(runDir, request, { message, user: false });
    });
  }
  return child;
}
