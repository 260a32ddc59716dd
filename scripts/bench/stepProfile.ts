/**
 * Where a training step's time goes: every kernel registered for the wasm backend is wrapped
 * with a timer (self time: a kernel that calls other kernels, as our fused ones do, is charged
 * only for its own part), and the real trainer (`train`, the throughput bench's models and data,
 * no freezing) runs; steps `--skip`..`--skip + --steps` are recorded (warm-up before). Prints,
 * per thread count, kernels ranked by time per step (calls per step, ms, share of the step) and
 * the rest of the step (JavaScript outside kernels: the engine, gradient tape, trainer).
 *
 *   node --import tsx scripts/bench/stepProfile.ts [--models mlp,cnn] [--threads 1,2] [--skip 15] [--steps 40] [--by shape] [--plain]
 *
 * `--by shape` splits each kernel by its inputs' shapes. Each kernel's CPU time (this process,
 * all threads: `process.cpuUsage` around the call) is what to compare on a loaded machine, where
 * wall times grow with the time the process waits for a core. `--plain` also prints each thread's
 * CPU per step (main, the native product's helpers, the rest), and with MODEL_LAB_NATIVE_STATS=1 a
 * 1-thread run's serial part by construction (the main thread's CPU outside native calls of
 * several blocks: what a second core cannot take), the CPU of the step's Adam job and of the main
 * thread's work after it up to the next native call (the window a job left behind fills), and from
 * them the critical path of a step on 2 idle cores.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { loadData } from '../../src/core/data/load';
import { loadExperimentFile } from '../../src/core/experiment/load';
import type { TrainExperiment } from '../../src/core/experiment/types';
import { createPolicy } from '../../src/core/freezing/create';
import { buildModel } from '../../src/core/model/build';
import { initBackend } from '../../src/core/tensor/backend';
import { setKernelThreads } from '../../src/core/tensor/wasm/threads';
import { convProductEngine, denseProductEngine, nativeGemm } from '../../src/core/tensor/wasm/nativeGemm';
import { train } from '../../src/core/train/trainer';

function option(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] !== undefined ? process.argv[k + 1] : fallback;
}

const models = option('models', 'mlp,cnn').split(',');
const threadCounts = option('threads', '1,2').split(',').map(Number);
const skip = Number(option('skip', '15'));
const steps = Number(option('steps', '40'));
const byShape = option('by', 'kernel') === 'shape';
/** `--plain`: no per-kernel timers (their own cost, ~0.03 CPU-ms per kernel call, favours steps of fewer calls): the step's totals only. */
const plain = process.argv.includes('--plain');
const examples = path.join(__dirname, '..', '..', 'examples', 'fashion-mnist');

interface Entry { calls: number; ms: number; cpu: number }
const table = new Map<string, Entry>();
let recording = false;
/** Self-time accounting: the [wall, CPU] time of kernels running inside the current one. */
const childTime: [number, number][] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function wrapKernels(): () => void {
  const originals = tf.getKernelsForBackend('wasm');
  for (const config of originals) {
    const inner = config.kernelFunc;
    const wrapped: tf.KernelConfig = {
      ...config,
      kernelFunc: (args) => {
        if (!recording) return inner(args);
        childTime.push([0, 0]);
        const start = performance.now();
        const cpuStart = cpuMs();
        const out = inner(args);
        const total = performance.now() - start;
        const cpuTotal = cpuMs() - cpuStart;
        const [children, cpuChildren] = childTime.pop()!;
        if (childTime.length > 0) {
          childTime[childTime.length - 1][0] += total;
          childTime[childTime.length - 1][1] += cpuTotal;
        }
        const shapes = byShape ? ` ${Object.values(args.inputs).map((t) => JSON.stringify((t as tf.TensorInfo).shape)).join(' ')}` : '';
        const key = config.kernelName + shapes;
        const e = table.get(key) ?? { calls: 0, ms: 0, cpu: 0 };
        e.calls++;
        e.ms += total - children;
        e.cpu += cpuTotal - cpuChildren;
        table.set(key, e);
        return out;
      },
    };
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(wrapped);
  }
  return () => {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  };
}

/**
 * CPU-ns of every thread of this process (`/proc/self/task/<tid>/schedstat`, ns on a CPU), by
 * group: the main thread (JavaScript, the caller's share of every threaded call), the native
 * product's helpers (named modellab-gemm), and the rest (the wasm pool's helpers, V8's).
 */
function threadCpu(): Map<string, { group: string; ns: number }> {
  const out = new Map<string, { group: string; ns: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { group: Number(tid) === process.pid ? 'main' : comm === 'modellab-gemm' ? 'native helpers' : 'other threads', ns });
    } catch {
      // the thread ended
    }
  }
  return out;
}

function threadCpuPerStep(before: Map<string, { group: string; ns: number }>, after: Map<string, { group: string; ns: number }>, steps: number): Record<string, number> {
  const sums: Record<string, number> = { main: 0, 'native helpers': 0, 'other threads': 0 };
  for (const [tid, a] of after) sums[a.group] += (a.ns - (before.get(tid)?.ns ?? 0)) / 1e6 / steps;
  return sums;
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function profile(model: string, threads: number): Promise<void> {
  setKernelThreads(threads);
  const loaded = await loadExperimentFile(path.join(examples, `fashion-${model}.experiment.json`), { policy: 'none' });
  const experiment = loaded.experiment as TrainExperiment;
  experiment.data = { ...experiment.data, limit: (skip + steps + 2) * (experiment.training.batchSize ?? 128) };
  experiment.training = { ...experiment.training, epochs: 1 };
  const data = await loadData(experiment.data, { seed: 0 });
  const built = await buildModel(experiment.model, { exampleShape: data.exampleShape, inputDtype: data.xDtype, seed: 0 });
  table.clear();
  let seen = 0;
  let start = 0;
  let cpuStart = 0;
  let wall = 0;
  let cpu = 0;
  let nativeStart: number[] = [0, 0];
  let nativeEnd: number[] = [0, 0];
  let tasksStart = new Map<string, { group: string; ns: number }>();
  let tasksEnd = tasksStart;
  await train({
    experiment, data, model: built, policy: createPolicy(experiment.freezing), runId: 'profile', backend: 'wasm',
    logEverySteps: 1,
    shouldStop: () => false,
    onEvent: (e) => {
      if (e.type === 'log' && e.message.startsWith('training step:')) console.log(`${model}, ${threads} thread(s): ${e.message}`);
      if (e.type !== 'step') return;
      seen++;
      if (seen === skip) {
        recording = true;
        start = performance.now();
        cpuStart = cpuSeconds();
        tasksStart = threadCpu();
        nativeStart = nativeGemm()?.callerCpu() ?? [0, 0];
      } else if (seen === skip + steps) {
        recording = false;
        wall = performance.now() - start;
        cpu = cpuSeconds() - cpuStart;
        tasksEnd = threadCpu();
        nativeEnd = nativeGemm()?.callerCpu() ?? [0, 0];
      }
    },
  });
  built.dispose();
  const perStep = wall / steps;
  const cpuPerStep = (1000 * cpu) / steps;
  if (plain) {
    // Serial part by construction: with the threaded work shared evenly, the main thread's CPU
    // beyond the helpers' is what ran on it alone (spinning counts as CPU: compare with spin 0).
    const t = threadCpuPerStep(tasksStart, tasksEnd, steps);
    const helpers = t['native helpers'] + t['other threads'];
    const serial = threads > 1 ? ` serial ~${Math.max(0, t.main - helpers).toFixed(2)} CPU-ms (${((100 * Math.max(0, t.main - helpers)) / (t.main + helpers)).toFixed(0)}%)` : '';
    console.log(`${model}, ${threads} thread(s): ${perStep.toFixed(2)} ms per step (wall), ${cpuPerStep.toFixed(2)} CPU-ms per step (all threads), load ${loadavg()[0].toFixed(2)}`);
    if (threads === 1 && nativeEnd[0] + nativeEnd[1] > 0) {
      // By construction (1 thread: the main thread runs everything): what runs in native calls of
      // several blocks could be shared; everything else on the main thread is serial.
      const [shared, single, adam, window] = [0, 1, 2, 3].map((k) => ((nativeEnd[k] ?? 0) - (nativeStart[k] ?? 0)) / 1e6 / steps);
      const serial = t.main - shared;
      console.log(`  main thread, CPU-ms per step: in native calls of several blocks (shareable) ${shared.toFixed(2)}, of one block ${single.toFixed(2)}, serial (all but the shareable) ${serial.toFixed(2)} = ${((100 * serial) / t.main).toFixed(0)}% of the main thread`);
      // Round 10: Adam (one job, shareable) can run behind the main thread's JavaScript that follows
      // it up to the next native call (the window): a second core hides min(Adam, window) of it.
      const path = serial + shared / 2;
      const hidden = Math.min(adam, window);
      console.log(`  Adam ${adam.toFixed(2)}, window after it ${window.toFixed(2)}; critical path on 2 idle cores at these costs: serial + shareable / 2 = ${path.toFixed(2)} ms, with Adam behind ${(path - hidden / 2).toFixed(2)} ms`);
    }
    console.log(`  per thread, CPU-ms per step: main ${t.main.toFixed(2)}, native helpers ${t['native helpers'].toFixed(2)}, other threads ${t['other threads'].toFixed(2)};${serial}`);
    return;
  }
  const rows = [...table.entries()].sort((a, b) => b[1].cpu - a[1].cpu);
  const inKernels = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
  const cpuInKernels = rows.reduce((s, [, e]) => s + e.cpu, 0) / steps;
  console.log(`\n### ${model}, ${threads} thread(s): ${perStep.toFixed(2)} ms per step (wall), ${cpuPerStep.toFixed(2)} CPU-ms per step (all threads), load ${loadavg()[0].toFixed(2)}`);
  console.log('| kernel | calls/step | CPU-ms/step | CPU share | wall ms/step | wall share |');
  console.log('|---|--:|--:|--:|--:|--:|');
  const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(1)}%`;
  for (const [name, e] of rows) {
    if (e.cpu / steps < 0.005 * cpuPerStep && rows.length > 25) continue;
    console.log(`| ${name} | ${(e.calls / steps).toFixed(1)} | ${(e.cpu / steps).toFixed(3)} | ${pct(e.cpu / steps, cpuPerStep)} | ${(e.ms / steps).toFixed(3)} | ${pct(e.ms / steps, perStep)} |`);
  }
  const rest = cpuPerStep - cpuInKernels;
  console.log(`| (outside kernels: engine, tape, trainer) | | ${rest.toFixed(3)} | ${pct(rest, cpuPerStep)} | ${(perStep - inKernels).toFixed(3)} | ${pct(perStep - inKernels, perStep)} |`);
}

async function main(): Promise<void> {
  await initBackend('wasm');
  console.log(`dense layers' products: ${denseProductEngine()}; conv products: ${convProductEngine()}`);
  const restore = plain ? () => undefined : wrapKernels();
  try {
    for (const model of models) for (const t of threadCounts) await profile(model, t);
  } finally {
    restore();
    setKernelThreads(undefined);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
