import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/** Polls `condition` until it holds (a condition, never a fixed sleep); fails after `timeoutMs`. */
export async function waitFor<T>(condition: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Child {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A Node child process (TypeScript through tsx) with its output collected. */
export function node(args: string[], opts: { detached?: boolean; tsx?: boolean } = {}): Child {
  const child = spawn(process.execPath, [...(opts.tsx === false ? [] : ['--import', 'tsx']), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The `model-lab` program as users run it (`npm test` builds it first). */
export function modelLab(args: string[]): Child {
  return node([path.join(root, 'bin', 'model-lab.js'), ...args], { tsx: false });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
