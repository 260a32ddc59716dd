/**
 * Reward-metric speed: `node --import tsx scripts/bench/rewards.ts [--quick] [--kernels]`.
 *
 * 1. Pairwise distance matrix of 16 rewards, 8 actions, dense random MDP, for every
 *    canonicalisation at 64-512 states (the issue's target: 512 states under 5 s), with numpy's
 *    VAL at 512 states as the reference.
 * 2. Time vs number of states (VAL L2/L2, 8 rewards, 4 actions).
 * 3. A sparse MDP: a 24 x 24 gridworld (576 states), 16 rewards, every canonicalisation.
 * 4. The float64 product behind DARD and minimal (out += A * B^T, 512 x 512 x 512): the
 *    JavaScript kernel, the wasm kernel on one thread and with helper threads, GFLOP/s by CPU
 *    time and by wall time, and how far each is from the JavaScript kernel.
 * 5. Where the DARD matrix of section 1 (512 states) spends its time: CPU time per stage
 *    (canonicalisation incl. helper threads, norms, the pairwise stage per metric and kernel),
 *    then wall and CPU time of the whole matrix over 3 runs with the load average next to each
 *    (`--dard` runs only this section).
 * References in the same run, reported as ratios (ours / reference, < 1 means faster):
 *   - numpy (via /usr/bin/python3, when numpy imports): the straightforward array version a user
 *     would write: np.linalg.solve per reward, canonical rewards as full S x A x S arrays.
 *   - naive: this library's `starcDistance` called per pair (re-canonicalises both rewards and
 *     re-factors I - gamma*P for every pair, full arrays for the norms).
 * Timing is wall-clock after a warm-up on a small MDP, best of 5 runs up to 128 states, of 3
 * at 256, one run above (the same for numpy); run on a quiet machine for absolute numbers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Canonicalization } from '../../src/core/reward/canonicalize';
import { addProductABtJs, denseProductKernel } from '../../src/core/reward/denseProduct';
import type { MatrixView, OutputView } from '../../src/core/reward/matrixView';
import { createFloat64Gemm } from '../../src/core/reward/wasm/float64Gemm';
import { buildGridworld } from '../../src/core/reward/gridworld';
import { Reward, TabularMdp } from '../../src/core/reward/mdp';
import { createGaussian, randomMdp } from '../../src/core/reward/randomMdp';
import { createCanonicalSource } from '../../src/core/reward/canonicalize';
import { sourceNorms } from '../../src/core/reward/canonicalSource';
import { createNormContext, NORMS } from '../../src/core/reward/norms';
import { pairwiseKernel, pairwiseNormsOfDifferences } from '../../src/core/reward/pairwiseNorms';
import { pairwiseDistances, starcDistance } from '../../src/core/reward/starc';
import { loadavg } from 'node:os';
import { createRng } from '../../src/core/util/random';

const quick = process.argv.includes('--quick');
/** `--kernels`: section 4 only. */
const kernelsOnly = process.argv.includes('--kernels');
/** `--dard`: section 5 only. */
const dardOnly = process.argv.includes('--dard');
const PYTHON = '/usr/bin/python3';

function setup(states: number, actions: number, nRewards: number, seed = 1): { mdp: TabularMdp; rewards: Reward[] } {
  const gauss = createGaussian(createRng(seed));
  const mdp = randomMdp(gauss, { states, actions, discount: 0.95 });
  const rewards = Array.from({ length: nRewards }, () => Float64Array.from({ length: states * actions * states }, gauss));
  return { mdp, rewards };
}

/** Best of `reps` runs (the least disturbed by other load on a shared machine). */
function time<T>(f: () => T, reps = 1): { ms: number; value: T } {
  let best = Infinity;
  let value: T | undefined;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    value = f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: best, value: value as T };
}

/** Repetitions for a problem size: several for small ones, where one run is noise. */
const repsFor = (states: number) => (states <= 128 ? 5 : states <= 256 ? 3 : 1);

const NUMPY_SCRIPT = `
import sys, json, time, numpy as np
d, S, A, K, g, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
T = np.fromfile(d + '/T.bin', dtype='<f8').reshape(S, A, S)
R = np.fromfile(d + '/R.bin', dtype='<f8').reshape(K, S, A, S)
def run():
    P = T.mean(axis=1)
    M = np.eye(S) - g * P
    std = []
    for k in range(K):
        rbar = (T * R[k]).sum(axis=2)
        V = np.linalg.solve(M, rbar.mean(axis=1))
        c = np.broadcast_to((rbar + g * T @ V - V[:, None])[:, :, None], (S, A, S)).ravel()
        std.append(c / np.linalg.norm(c))
    D = np.zeros((K, K))
    for i in range(K):
        for j in range(i + 1, K):
            D[i, j] = D[j, i] = np.linalg.norm(std[i] - std[j])
    return D
best = float('inf')
for _ in range(reps):
    t0 = time.perf_counter()
    D = run()
    best = min(best, (time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": best, "d01": D[0, 1]}))
`;

const numpyAvailable = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

/** VAL L2/L2 pairwise matrix through numpy; returns ms and d(R0, R1) to cross-check values. */
function numpyVal(mdp: TabularMdp, rewards: Reward[]): { ms: number; d01: number } | undefined {
  if (!numpyAvailable) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-rewards-'));
  try {
    writeFileSync(path.join(dir, 'T.bin'), Buffer.from(mdp.transitions.buffer, mdp.transitions.byteOffset, mdp.transitions.byteLength));
    const all = new Float64Array(rewards.length * rewards[0].length);
    rewards.forEach((r, k) => all.set(r, k * r.length));
    writeFileSync(path.join(dir, 'R.bin'), Buffer.from(all.buffer));
    const reps = String(repsFor(mdp.nStates));
    const res = spawnSync(PYTHON, ['-c', NUMPY_SCRIPT, dir, String(mdp.nStates), String(mdp.nActions), String(rewards.length), String(mdp.discount), reps], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (res.status !== 0) throw new Error(`numpy reference failed: ${res.stderr}`);
    return JSON.parse(res.stdout) as { ms: number; d01: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function naivePairwise(mdp: TabularMdp, rewards: Reward[], canon: Canonicalization): number[][] {
  const k = rewards.length;
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) m[i][j] = m[j][i] = starcDistance(mdp, rewards[i], rewards[j], { canon, norm: '2', metric: '2' });
  }
  return m;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const ratio = (a: number, b: number | undefined) => (b === undefined ? 'n/a' : `${(a / b).toFixed(3)}`);

function main(): void {
  const dense = denseProductKernel();
  console.log(
    `reward-metrics benchmark (node ${process.version}; numpy reference: ${numpyAvailable ? 'yes' : 'not installed'}; ` +
      `dense products: ${dense.kernel === 'wasm' ? `wasm, ${dense.threads} thread(s)` : 'JavaScript (dist/gemm64.wasm not built or MODEL_LAB_GEMM=js)'})`,
  );
  // Warm-up (JIT) on a small problem.
  {
    const w = setup(32, 4, 4, 99);
    for (const canon of ['val', 'epic', 'dard', 'minimal', 'none'] as const) pairwiseDistances(w.mdp, w.rewards, { canon, norm: '2', metric: '2' });
    naivePairwise(w.mdp, w.rewards, 'val');
  }

  // 1. The issue's target (16 rewards, 512 states, 8 actions, under 5 s) for every
  // canonicalisation, and how each grows with the number of states.
  const target = { states: quick ? 128 : 512, actions: 8, rewards: 16, seconds: 5 };
  const growth = quick ? [32, 64, 128] : [64, 128, 256, 512];
  const canons = ['val', 'epic', 'none', 'minimal', 'dard'] as const;
  console.log(`\n1. pairwise matrix of ${target.rewards} rewards, ${target.actions} actions (L2/L2), dense random MDP; target: ${target.states} states under ${target.seconds} s`);
  console.log(`states | ${canons.map((c) => c.padStart(9)).join(' | ')}`);
  console.log(`-------|${canons.map(() => '-----------').join('|')}`);
  let targetRow: Record<string, number> = {};
  let valD01 = NaN;
  let ref: { ms: number; d01: number } | undefined;
  for (const S of growth) {
    const { mdp, rewards } = setup(S, target.actions, target.rewards, S + 1);
    const row: Record<string, number> = {};
    for (const canon of canons) {
      const r = time(() => pairwiseDistances(mdp, rewards, { canon, norm: '2', metric: '2' }), S <= 128 ? 3 : 1);
      row[canon] = r.ms;
      if (canon === 'val' && S === target.states) valD01 = r.value.matrix[0][1];
    }
    console.log(`${String(S).padStart(6)} | ${canons.map((c) => fmt(row[c]).padStart(9)).join(' | ')}`);
    if (S === target.states) {
      targetRow = row;
      ref = numpyVal(mdp, rewards);
    }
  }
  console.log(`target (${target.states} states): ${canons.map((c) => `${c} ${targetRow[c] <= target.seconds * 1000 ? 'met' : 'MISSED'}`).join(', ')}`);
  if (ref) console.log(`numpy VAL at ${target.states} states: ${fmt(ref.ms)} (ours/numpy ${ratio(targetRow.val, ref.ms)}); d(R0,R1) ours ${valD01.toFixed(12)} numpy ${ref.d01.toFixed(12)} (|diff| ${Math.abs(valD01 - ref.d01).toExponential(1)})`);

  console.log('\n2. time vs number of states: VAL L2/L2, 8 rewards, 4 actions');
  console.log('states | ours      | numpy     | naive     | ours/numpy | ours/naive');
  console.log('-------|-----------|-----------|-----------|------------|-----------');
  const sizes = quick ? [32, 64, 128] : [32, 64, 128, 256, 512, 1024];
  for (const S of sizes) {
    const s = setup(S, 4, 8, S);
    const ours = time(() => pairwiseDistances(s.mdp, s.rewards, { canon: 'val', norm: '2', metric: '2' }), repsFor(S));
    const np = numpyVal(s.mdp, s.rewards);
    const naive = S <= 512 ? time(() => naivePairwise(s.mdp, s.rewards, 'val'), repsFor(S)) : undefined;
    if (naive) {
      const diff = Math.abs(naive.value[0][1] - ours.value.matrix[0][1]);
      if (diff > 1e-9) throw new Error(`naive and fast VAL disagree at S=${S}: ${diff}`);
    }
    console.log(
      `${String(S).padStart(6)} | ${fmt(ours.ms).padStart(9)} | ${(np ? fmt(np.ms) : 'n/a').padStart(9)} | ${(naive ? fmt(naive.ms) : 'skipped').padStart(9)} | ${ratio(ours.ms, np?.ms).padStart(10)} | ${(naive ? ratio(ours.ms, naive.ms) : 'n/a').padStart(9)}`,
    );
  }
}

function gridworldSection(): void {
  const side = quick ? 10 : 24;
  const { mdp } = buildGridworld({ width: side, height: side, slip: 0.1, walls: [[1, 1], [2, 2], [3, 3]], goal: [[side - 1, 0, 1]] }, 0.95);
  const gauss = createGaussian(createRng(7));
  const rewards = Array.from({ length: 16 }, () => Float64Array.from({ length: mdp.nStates * 4 * mdp.nStates }, gauss));
  console.log(`\n3. sparse transitions: ${side} x ${side} gridworld (${mdp.nStates} states, 4 actions), 16 rewards, L2/L2`);
  console.log('canon    | time');
  console.log('---------|---------');
  for (const canon of ['val', 'epic', 'dard', 'minimal', 'none'] as const) {
    const r = time(() => pairwiseDistances(mdp, rewards, { canon, norm: '2', metric: '2' }));
    console.log(`${canon.padEnd(8)} | ${fmt(r.ms).padStart(8)}`);
  }
}

async function kernelSection(): Promise<void> {
  const S = quick ? 256 : 512;
  const reps = quick ? 3 : 5;
  const rng = createRng(5);
  const a = Float64Array.from({ length: S * S }, () => rng.next() - 0.5);
  const b = Float64Array.from({ length: S * S }, () => rng.next() - 0.5);
  const av: MatrixView = { data: a, offset: 0, rowStride: S };
  const bv: MatrixView = { data: b, offset: 0, rowStride: S };
  const outView = (d: Float64Array): OutputView => ({ data: d, offset: 0, rowStride: S, colStride: 1 });
  const flops = 2 * S ** 3;
  console.log(`\n4. float64 product out += A * B^T, ${S} x ${S} x ${S} (${(flops / 1e9).toFixed(2)} GFLOP; DARD needs 2 * actions of them per reward); best of ${reps}`);
  console.log('kernel            | CPU time  | wall time | GFLOP/s (CPU) | GFLOP/s (wall) | max rel. diff vs JS');
  console.log('------------------|-----------|-----------|---------------|----------------|--------------------');
  const reference = new Float64Array(S * S);
  addProductABtJs(S, S, S, av, bv, outView(reference));
  const kernels: [string, (out: Float64Array) => void, () => Promise<void>][] = [['JavaScript', (o) => addProductABtJs(S, S, S, av, bv, outView(o)), async () => undefined]];
  for (const threads of [1, 2]) {
    const g = createFloat64Gemm({ threads });
    if (!g) break;
    // Start the helpers and wait until they are up, so that the timing is of the product alone.
    g.addProductABt(S, S, S, av, bv, outView(new Float64Array(S * S)));
    for (let t = 0; t < 100 && g.helpersReady < threads - 1; t++) await new Promise((r) => setTimeout(r, 20));
    kernels.push([`wasm, ${threads} thread${threads > 1 ? 's' : ''}`, (o) => g.addProductABt(S, S, S, av, bv, outView(o)), () => g.close()]);
  }
  for (const [name, run, close] of kernels) {
    let cpu = Infinity;
    let wall = Infinity;
    let diff = 0;
    for (let r = 0; r < reps; r++) {
      const out = new Float64Array(S * S);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      run(out);
      wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e6);
      const c = process.cpuUsage(c0);
      cpu = Math.min(cpu, (c.user + c.system) / 1e3);
      for (let i = 0; i < out.length; i++) diff = Math.max(diff, Math.abs(out[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
    }
    await close();
    console.log(`${name.padEnd(17)} | ${fmt(cpu).padStart(9)} | ${fmt(wall).padStart(9)} | ${(flops / cpu / 1e6).toFixed(2).padStart(13)} | ${(flops / wall / 1e6).toFixed(2).padStart(14)} | ${diff.toExponential(1)}`);
  }
}

/** CPU time (all threads of the process) and wall time of `f`, in ms. */
function cpuAndWall<T>(f: () => T): { cpu: number; wall: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e3, wall, value };
}

function dardSection(): void {
  const S = quick ? 128 : 512;
  const { mdp, rewards } = setup(S, 8, 16, S + 1);
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\n5. DARD pairwise matrix, 16 rewards, ${S} states, 8 actions: stages (CPU time, all threads) and whole matrix (L2/L2)`);
  // Warm-up: JIT, wasm instances, helper threads.
  pairwiseDistances(mdp, rewards.slice(0, 2), { canon: 'dard', norm: '2', metric: '2' });
  const ctx = createNormContext(mdp);
  // The stages of pairwiseDistances: canonical rewards as sources (DARD: products, then the
  // reward plus an S x S shift), their norms, the pairwise stage.
  const canonicalize = createCanonicalSource(mdp, 'dard');
  const canon = cpuAndWall(() => rewards.map((r) => canonicalize(r)));
  const norms = cpuAndWall(() => canon.value.map((c) => sourceNorms(ctx, c)[1]));
  const scales = norms.value.map((n) => 1 / n);
  console.log('stage                               | CPU time  | wall time');
  console.log('------------------------------------|-----------|----------');
  const row = (name: string, r: { cpu: number; wall: number }) => console.log(`${name.padEnd(35)} | ${fmt(r.cpu).padStart(9)} | ${fmt(r.wall).padStart(9)}`);
  row('canonicalise 16 (dense products)', canon);
  row('norms of 16 canonical rewards', norms);
  for (const metric of NORMS) {
    for (const kernel of metric === '2' ? (['auto', 'js'] as const) : (['auto'] as const)) {
      const name = kernel === 'js' ? 'JavaScript' : pairwiseKernel() === 'wasm' ? 'wasm' : 'JavaScript';
      row(`pairwise stage, ${metric}, ${name}`, cpuAndWall(() => pairwiseNormsOfDifferences(ctx, canon.value, scales, false, metric, { kernel })));
    }
  }
  for (let r = 0; r < 3; r++) {
    const before = load();
    const t = cpuAndWall(() => pairwiseDistances(mdp, rewards, { canon: 'dard', norm: '2', metric: '2' }));
    console.log(`whole matrix, run ${r + 1}: wall ${fmt(t.wall)}, CPU ${fmt(t.cpu)} (load average ${before})`);
  }
}

if (dardOnly) {
  dardSection();
} else {
  if (!kernelsOnly) {
    main();
    gridworldSection();
    dardSection();
  }
  void kernelSection();
}
