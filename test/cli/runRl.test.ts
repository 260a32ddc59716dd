import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// The real `model-lab` program on the RL examples (`npm test` builds it first).
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'model-lab.js');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assert.ok(existsSync(path.join(root, 'dist', 'cli.js')), 'build first (npm run build)');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('model-lab run --json on an offline-gcrl example prints its summary (success per task)', async () => {
  const r = await cli(['run', path.join(root, 'examples/rl/tiny-maze.experiment.json'), '--json', '--algo', 'gcivl', '--out', mkdtempSync(path.join(tmpdir(), 'ml-cli-rl-'))]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.status, 'completed');
  assert.equal(doc.kind, 'offline-gcrl');
  assert.equal(doc.algo, 'gcivl');
  assert.equal(doc.tasks.length, 2);
  assert.ok(doc.successRate >= 0 && doc.successRate <= 1);
});

test('a maze with a goal on a wall is exit code 2 with file:line:col and the field', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-cli-rl-'));
  const file = path.join(dir, 'bad.experiment.json');
  writeFileSync(file, [
    '{',
    '  "kind": "offline-gcrl", "name": "bad",',
    '  "env": { "type": "gridmaze", "layout": ["#####", "#...#", "#####"] },',
    '  "dataset": { "generate": {} }, "algo": "hiql",',
    '  "evaluation": { "tasks": [{ "start": [1, 1], "goal": [0, 2] }] }',
    '}',
  ].join('\n'));
  const r = await cli(['run', file, '--json']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /bad\.experiment\.json:5:\d+: \/evaluation\/tasks\/0\/goal: task 0: goal \[0, 2\] is a wall/);
});
