import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

// The real `model-lab` program, as users run it (`npm test` builds it first).
export const root = path.resolve(__dirname, '../..');
export const bin = path.join(root, 'bin', 'model-lab.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs `model-lab ARGS` in a child process; `onStderr` sees each chunk (and the child, to signal
 * it). A child still running after `killAfterMs` is killed (so a hang fails its test instead of
 * outliving it).
 */
export function cli(args: string[], onStderr?: (chunk: string, child: ChildProcess) => void, program = bin, killAfterMs = 600_000): Promise<CliResult> {
  assert.ok(existsSync(path.join(root, 'dist', 'cli.js')), 'build first (npm run build)');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(String(d), child);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A user error: exit 2, nothing on stdout, one line on stderr matching `pattern`, no stack trace. */
export function assertOneLineError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n').filter((l) => !/^(backend: |run |resuming )/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}
