import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startCli } from './program';

/**
 * `model-lab rewards distance` stops on SIGINT and SIGTERM: it exits 130 and, with --json,
 * prints one document saying it stopped, long before the computation would have ended.
 *
 * Long by construction, whatever the machine: 2,000 rewards on a 6 x 6 gridworld make 2 million
 * pairs over 5,184 entries each (10^10 terms, about 10 s on the 2-core reference machine). The
 * signal is sent once the pairwise stage has printed progress; the computation returns to the
 * event loop after every block (1/300 of the stage), so it must stop before printing another
 * 5 % line, and its document must report a fraction below 1.
 */
function longComparison(dir: string): string {
  const rewards = Object.fromEntries(Array.from({ length: 1999 }, (_, i) => [`r${i}`, { of: 'task', scale: 1 + i, shift: i % 7 }]));
  const file = path.join(dir, 'long.rewards.json');
  writeFileSync(file, JSON.stringify({ discount: 0.9, gridworld: { width: 6, height: 6, slip: 0.2, goal: [[5, 0, 1]] }, rewards }));
  return file;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`rewards distance --json stops on ${signal}: exit 130 and a "stopped" document`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rewards-signal-'));
    try {
      const cli = startCli(['rewards', 'distance', longComparison(dir), '--canon', 'none', '--json']);
      const progress = /^\s*(\d+)% pairwise distances/;
      const first = await cli.waitForStderr(progress);
      const sentAt = performance.now();
      cli.child.kill(signal);
      const { code } = await cli.exited;
      const seconds = (performance.now() - sentAt) / 1000;
      assert.equal(code, 130, cli.stderr());
      const doc = JSON.parse(cli.stdout().toString('utf8'));
      assert.equal(doc.stopped, true);
      assert.equal(doc.canon, 'none');
      assert.ok(doc.progress > 0 && doc.progress < 1, `progress ${doc.progress}`);
      // At most the line being printed when the signal arrived follows the one we saw.
      const lines = cli.stderr().split('\n').filter((l) => progress.test(l));
      const after = lines.slice(lines.indexOf(first) + 1);
      assert.ok(after.length <= 1, `progress went on after the signal: ${after.join(' | ')}`);
      assert.match(cli.stderr(), /stopped at \d+%/);
      t.diagnostic(`${signal}: exited ${seconds.toFixed(2)} s after the signal, at ${(doc.progress * 100).toFixed(1)}%`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
