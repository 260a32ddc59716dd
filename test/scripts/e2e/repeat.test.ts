import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseTap } from '../../../scripts/e2e/repeat';

test("parseTap names every test of node's own TAP output by its suites, with its result", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'model-lab-repeat-'));
  try {
    const file = path.join(dir, 'sample.test.js');
    writeFileSync(
      file,
      `const { describe, test } = require('node:test');
describe('outer', () => {
  test('passes', () => {});
  describe('inner', () => {
    test('fails', () => { throw new Error('no'); });
  });
});
test('top level # with a hash', () => {});
test('skipped', { skip: true }, () => {});
`,
    );
    // Without the variable node sets for its own test children, which would make this run report
    // to our runner instead of printing TAP.
    const env = { ...process.env, NODE_TEST_CONTEXT: undefined };
    const tap = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env }).stdout;
    const results = parseTap(tap);
    assert.deepEqual(results, [
      { name: 'outer › passes', ok: true },
      { name: 'outer › inner › fails', ok: false },
      { name: 'outer › inner', ok: false },
      { name: 'outer', ok: false },
      { name: 'top level # with a hash', ok: true },
      { name: 'skipped', ok: true },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
