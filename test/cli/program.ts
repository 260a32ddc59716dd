import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The bundled CLI (`npm test` builds it first), run as users run it: a real process with pipes. */
export const CLI = path.resolve(__dirname, '../../dist/cli.js');

export interface Program {
  child: ChildProcessWithoutNullStreams;
  /** Everything on stdout so far (bytes, to check that nothing was cut). */
  stdout(): Buffer;
  stderr(): string;
  /** Resolves with the first stderr line matching `re` (rejects if the program exits first). */
  waitForStderr(re: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[], opts: { cwd?: string; stdin?: string | Buffer } = {}): Program {
  assert.ok(existsSync(CLI), `build first: ${CLI} is missing (npm run build)`);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of [...waiters]) {
      const line = err.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
  else child.stdin.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    exited,
    waitForStderr: (re) =>
      new Promise((resolve, reject) => {
        const line = err.split('\n').find((l) => re.test(l));
        if (line !== undefined) return resolve(line);
        waiters.push({ re, resolve });
        void exited.then(({ code }) => reject(new Error(`exited (code ${code}) before printing ${re}; stderr:\n${err}`)));
      }),
  };
}
