/**
 * How good the size estimate of reward comparisons is (`src/core/reward/estimate.ts`):
 * `npm run bench:estimate [-- --quick]`.
 *
 * Each case (gridworlds and dense random MDPs, every canonicalisation, few and many rewards) is
 * loaded and computed as `model-lab rewards distance` does it, in its own process: peak bytes
 * (V8 heap plus ArrayBuffers, sampled at every return to the event loop) and CPU seconds
 * against the estimate, as ratios (measured / estimated; the estimate aims at <= 1 for memory,
 * about 1 for time on the reference machine). CPU time, not wall time, so that other load on a
 * shared machine does not count. Memory counts what is allocated: untouched pages of a mostly
 * zero array (a gridworld's transitions) are allocated but not resident.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Canonicalization } from '../../src/core/reward/canonicalize';
import { estimateComparison, formatBytes, type ComparisonSize } from '../../src/core/reward/estimate';
import { createGaussian, randomMdp } from '../../src/core/reward/randomMdp';
import { parseRewardsText } from '../../src/core/reward/rewardsFile';
import { pairwiseDistanceSteps } from '../../src/core/reward/starc';
import { runCooperatively } from '../../src/core/util/steps';
import { createRng } from '../../src/core/util/random';

interface Case {
  name: string;
  file: string;
  canon: Canonicalization;
}

interface Measured {
  size: ComparisonSize;
  peakBytes: number;
  cpuSeconds: number;
}

/** Child mode: load and compute one case, print what it measured. */
async function measure(c: Case): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(c.file, 'utf8');
  let peak = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
  };
  const timer = setInterval(sample, 5);
  const cpu0 = process.cpuUsage();
  let size: ComparisonSize | undefined;
  const content = await parseRewardsText(text, { file: c.file, checkSize: (s) => void (size = s) });
  sample();
  await runCooperatively(pairwiseDistanceSteps(content.mdp, content.rewards, { canon: c.canon, norm: '2', metric: '2' }), { onProgress: sample, sliceMs: 5 });
  sample();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  process.stdout.write(JSON.stringify({ size, peakBytes: peak, cpuSeconds: (cpu.user + cpu.system) / 1e6 } satisfies Partial<Measured>));
}

function gridworld(dir: string, width: number, rewards: number): string {
  const spec = {
    discount: 0.9,
    gridworld: { width, height: width, slip: 0.2, goal: [[width - 1, 0, 1]], penalty: [[width - 1, 1, -1]] },
    rewards: Object.fromEntries(Array.from({ length: rewards - 1 }, (_, i) => [`r${i}`, i % 2 ? { of: 'task', scale: -1 - i } : { state: Array.from({ length: width * width }, (_, s) => (s === i ? 1 : 0)) }])),
  };
  const file = path.join(dir, `grid${width}-${rewards}.rewards.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

function dense(dir: string, S: number, rewards: number): string {
  const gauss = createGaussian(createRng(7));
  const mdp = randomMdp(gauss, { states: S, actions: 4 });
  const T = Array.from({ length: S }, (_, s) => Array.from({ length: 4 }, (_, a) => Array.from(mdp.transitions.subarray((s * 4 + a) * S, (s * 4 + a + 1) * S), (v) => +v.toPrecision(6))));
  // Rows re-normalised after rounding, so the file is a valid MDP.
  for (const rows of T) for (const row of rows) {
    const sum = row.reduce((x, y) => x + y, 0);
    row[row.indexOf(Math.max(...row))] += 1 - sum;
  }
  const spec = {
    discount: 0.95,
    transitions: T,
    rewards: Object.fromEntries(Array.from({ length: rewards }, (_, i) => [`r${i}`, { stateAction: Array.from({ length: S }, () => Array.from({ length: 4 }, () => +gauss().toFixed(4))) }])),
  };
  const file = path.join(dir, `dense${S}-${rewards}.rewards.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--case');
  if (at >= 0) return measure(JSON.parse(process.argv[at + 1]) as Case);
  const quick = process.argv.includes('--quick');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-estimate-'));
  try {
    const files: [string, string][] = quick
      ? [['grid 30x30, 4 rewards', gridworld(dir, 30, 4)], ['dense 128, 8 rewards', dense(dir, 128, 8)]]
      : [
          ['grid 30x30, 4 rewards', gridworld(dir, 30, 4)],
          ['grid 50x50, 4 rewards', gridworld(dir, 50, 4)],
          ['grid 12x12, 300 rewards', gridworld(dir, 12, 300)],
          ['dense 128, 8 rewards', dense(dir, 128, 8)],
          ['dense 256, 8 rewards', dense(dir, 256, 8)],
        ];
    const canons: Canonicalization[] = ['val', 'epic', 'dard', 'minimal', 'none'];
    console.log('case                        canon    states  peak (est)           ratio   CPU s (est)      ratio');
    for (const [name, file] of files) {
      for (const canon of canons) {
        const run = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--case', JSON.stringify({ name, file, canon })], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (run.status !== 0) {
          console.log(`${name.padEnd(27)} ${canon.padEnd(8)} failed: ${run.stderr.trim().split("\n").slice(0, 6).join(" | ")}`);
          continue;
        }
        const m = JSON.parse(run.stdout) as Measured;
        const est = estimateComparison(m.size, { canon, norm: '2', metric: '2' });
        console.log(
          `${name.padEnd(27)} ${canon.padEnd(8)} ${String(m.size.states).padStart(6)}  ${formatBytes(m.peakBytes).padStart(7)} (${formatBytes(est.bytes).padStart(7)})  ${(m.peakBytes / est.bytes).toFixed(2).padStart(6)}` +
          `  ${m.cpuSeconds.toFixed(2).padStart(6)} (${est.seconds.toFixed(2).padStart(6)})  ${(m.cpuSeconds / est.seconds).toFixed(2).padStart(6)}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
