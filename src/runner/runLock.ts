import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../core/errors';

/**
 * The run folder's lock: `<runDir>/lock`, created atomically (`open(…, 'wx')`) by the one
 * process that writes the folder (a new run, a resume), holding who that process is. It is
 * the single answer to "is this run alive": the run store, the Runs view, reattaching after a
 * window reload and Cancel all ask `runLiveness`, never a bare pid.
 *
 * A pid alone is not an identity (pids are reused), so the lock also records the process's
 * start time (Linux: `/proc/<pid>/stat` field 22 with the boot id; macOS/BSD: `ps -o lstart`)
 * and the host name. A lock whose process is gone, or whose pid now belongs to a process that
 * started at another time, is stale and is taken over; a live holder can only be overridden
 * with `force` (the CLI's `--force`), with a warning.
 */
export const LOCK_FILE = 'lock';

export interface LockHolder {
  pid: number;
  /** Platform-specific start time of the process (undefined where it cannot be read, e.g. Windows). */
  startTime?: string;
  hostname: string;
  /** When the lock was taken (ISO time); with the pid, it tells two locks of one process apart. */
  createdAt: string;
  /** What holds it, for messages: e.g. `model-lab run --resume …` or `run worker`. */
  command: string;
  /** The Slurm job it runs in (`SLURM_JOB_ID`: one per array task, kept when Slurm requeues it). */
  slurmJobId?: string;
}

/**
 * `alive`: the holder runs here; `gone`: its process exited (or the pid was reused), the lock is
 * stale; `elsewhere`: held from another machine (a shared folder), so its liveness is unknown
 * and it counts as alive.
 */
export type HolderState = 'alive' | 'gone' | 'elsewhere';

export interface RunLiveness {
  alive: boolean;
  holder?: LockHolder;
  state?: HolderState;
}

/** A lock held by this process. `release` is idempotent and also runs when the process exits. */
export interface RunLock {
  readonly holder: LockHolder;
  release(): void;
}

/** Another live process writes this run folder. A user error: exit code 2, one line. */
export class RunLockedError extends UserError {
  constructor(runDir: string, readonly holder: LockHolder | undefined, state: HolderState | 'starting') {
    super(
      `run ${path.basename(runDir)} is in use by ${holder ? describeHolder(holder) : 'a process that is just starting'}` +
        `${state === 'elsewhere' ? ' (another machine: this one cannot tell whether it still runs)' : ''}; ` +
        'wait for it, cancel it, or pass --force if you are sure it is not running',
    );
    this.name = 'RunLockedError';
  }
}

/** A lock file this young with no readable content is being written by its creator. */
const FRESH_MS = 5000;

/** Takes the run folder's lock, taking over a stale one; `force` overrides a live one. */
export function acquireRunLock(runDir: string, opts: { force?: boolean; warn?: (message: string) => void; command?: string } = {}): RunLock {
  const file = path.join(runDir, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    hostname: os.hostname(),
    createdAt: new Date().toISOString(),
    command: opts.command ?? commandLine(),
    ...(slurmJobId() ? { slurmJobId: slurmJobId() } : {}),
  };
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(me));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return heldLock(file, me);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const raw = readRaw(file);
    if (raw === undefined) continue; // released meanwhile: try again
    const holder = parseHolder(raw);
    let state: HolderState | 'starting' = holder ? holderState(holder) : ageMs(file) < FRESH_MS ? 'starting' : 'gone';
    const endedJob = state === 'elsewhere' && holder ? endedSlurmHolder(holder) : undefined;
    if (endedJob) state = 'gone';
    if (state === 'gone') {
      opts.warn?.(`taking over the stale lock of run ${path.basename(runDir)}: ${holder ? `${describeHolder(holder)} no longer runs${endedJob ? ` (${endedJob})` : ''}` : 'its lock file was left empty'}`);
    } else if (opts.force) {
      opts.warn?.(`--force: overriding the lock of run ${path.basename(runDir)} held by ${holder ? describeHolder(holder) : 'a starting process'}; if it still runs, both processes now write this run folder`);
    } else {
      throw new RunLockedError(runDir, holder, state);
    }
    removeIfUnchanged(file, raw);
  }
  throw new Error(`could not take the lock of ${runDir}: other processes keep taking it`);
}

/** Whether a live process holds the run folder's lock: the one source of truth for "running". */
export function runLiveness(runDir: string): RunLiveness {
  const holder = readLock(runDir);
  if (!holder) return { alive: false };
  const state = holderState(holder);
  return { alive: state !== 'gone', holder, state };
}

export function readLock(runDir: string): LockHolder | undefined {
  const raw = readRaw(path.join(runDir, LOCK_FILE));
  return raw === undefined ? undefined : parseHolder(raw);
}

export function holderState(h: LockHolder): HolderState {
  if (h.hostname !== os.hostname()) return 'elsewhere';
  if (!pidExists(h.pid)) return 'gone';
  if (h.startTime !== undefined) {
    const now = processStartTime(h.pid);
    // The pid now belongs to another process (a reused pid): the holder is gone.
    if (now !== undefined && now !== h.startTime) return 'gone';
  }
  return 'alive';
}

/**
 * Sends `signal` to the process that holds the run's lock, after checking that it is really
 * that process (same host, same pid, same start time), never to whatever has the pid now.
 */
export function signalRunHolder(runDir: string, signal: NodeJS.Signals): { ok: true; pid: number } | { ok: false; reason: string } {
  const { holder, state } = runLiveness(runDir);
  if (!holder) return { ok: false, reason: 'it is not running (its folder has no lock)' };
  if (state === 'elsewhere') return { ok: false, reason: `it runs on ${holder.hostname}; cancel it there` };
  if (state === 'gone') return { ok: false, reason: `its process (pid ${holder.pid}) is gone` };
  try {
    process.kill(holder.pid, signal);
    return { ok: true, pid: holder.pid };
  } catch (e) {
    return { ok: false, reason: `could not signal pid ${holder.pid}: ${(e as Error).message}` };
  }
}

function slurmJobId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.SLURM_JOB_ID && /^\d+$/.test(env.SLURM_JOB_ID) ? env.SLURM_JOB_ID : undefined;
}

/**
 * Why a lock held from another machine by a Slurm task is stale, or undefined when that cannot
 * be known. A task killed without a chance to release its lock (preemption or a time limit past
 * `KillWait`, a node failure) leaves it on the shared run store; the next task for the point
 * runs on any node. Slurm runs one job at a time under one id, so a lock of this very job is
 * an earlier run of it (`--requeue`); a lock of another job is stale once `squeue` no longer
 * lists that job as running (a resubmission by `sweep --resume`).
 */
export function endedSlurmHolder(holder: LockHolder, env: NodeJS.ProcessEnv = process.env, squeue: (jobId: string) => string = squeueState): string | undefined {
  const mine = slurmJobId(env);
  if (!holder.slurmJobId || !mine) return undefined;
  if (holder.slurmJobId === mine) return `an earlier run of this Slurm job, ${mine}: it was requeued`;
  let state: string;
  try {
    state = squeue(holder.slurmJobId).trim();
  } catch (e) {
    // squeue answers "Invalid job id" for a job that ended long ago; anything else is unknown.
    return /invalid job id/i.test(String((e as { stderr?: unknown }).stderr ?? (e as Error).message)) ? `its Slurm job ${holder.slurmJobId} has ended` : undefined;
  }
  return ['', 'COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'PREEMPTED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PENDING', 'REQUEUED'].includes(state.split('\n')[0])
    ? `its Slurm job ${holder.slurmJobId} is ${state ? state.split('\n')[0].toLowerCase() : 'no longer queued'}`
    : undefined;
}

function squeueState(jobId: string): string {
  return execFileSync('squeue', ['-h', '-j', jobId, '-o', '%T'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The start time of a process, as a string that stays the same for its whole life and
 * differs for a later process with the same pid; undefined where it cannot be read.
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return `${bootId()}:${fields[19]}`;
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  // macOS and the BSDs: the start time to the second, from ps (no /proc there). Followers ask
  // several times a second: a lookup is reused for a moment.
  const hit = psStartTimes.get(pid);
  if (hit && Date.now() - hit.at < 2000) return hit.value;
  let value: string | undefined;
  try {
    value = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    value = undefined;
  }
  psStartTimes.set(pid, { value, at: Date.now() });
  return value;
}

const psStartTimes = new Map<number, { value: string | undefined; at: number }>();

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} (${h.command}) on ${h.hostname} since ${h.createdAt}`;
}

let cachedBootId: string | undefined;
function bootId(): string {
  cachedBootId ??= (() => {
    try {
      return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return '';
    }
  })();
  return cachedBootId;
}

function heldLock(file: string, me: LockHolder): RunLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // Only our own lock: a --force override may have replaced it.
    const current = parseHolder(readRaw(file) ?? '');
    if (current && current.pid === me.pid && current.createdAt === me.createdAt) {
      try {
        fs.unlinkSync(file);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return { holder: me, release };
}

/**
 * Removes a stale or overridden lock only if it is still the one that was judged: it is
 * renamed aside first (atomic), and put back if another process replaced it meanwhile.
 */
function removeIfUnchanged(file: string, expected: string): void {
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // someone else removed it first
  }
  if (readRaw(aside) !== expected) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // a third process took the lock meanwhile; it holds it now
    }
  }
  try {
    fs.unlinkSync(aside);
  } catch {
    // nothing to clean
  }
}

function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw);
    if (h && Number.isInteger(h.pid) && typeof h.hostname === 'string' && typeof h.createdAt === 'string') {
      return {
        pid: h.pid, startTime: typeof h.startTime === 'string' ? h.startTime : undefined, hostname: h.hostname, createdAt: h.createdAt, command: String(h.command ?? ''),
        ...(typeof h.slurmJobId === 'string' && /^\d+$/.test(h.slurmJobId) ? { slurmJobId: h.slurmJobId } : {}),
      };
    }
  } catch {
    // empty (being written) or damaged
  }
  return undefined;
}

function readRaw(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

function commandLine(): string {
  const script = path.basename(process.argv[1] ?? 'node');
  const args = process.argv.slice(2).join(' ');
  return `${script === 'runWorker.js' ? 'run worker' : script}${args && script !== 'runWorker.js' ? ` ${args}` : ''}`.slice(0, 160);
}
