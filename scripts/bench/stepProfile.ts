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
 * wall times grow with the time the process waits for a core.
 */
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
import { convProductEngine, denseProductEngine } from '../../src/core/tensor/wasm/nativeGemm';
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
      } else if (seen === skip + steps) {
        recording = false;
        wall = performance.now() - start;
        cpu = cpuSeconds() - cpuStart;
      }
    },
  });
  built.dispose();
  const perStep = wall / steps;
  const cpuPerStep = (1000 * cpu) / steps;
  if (plain) {
    console.log(`${model}, ${threads} thread(s): ${perStep.toFixed(2)} ms per step (wall), ${cpuPerStep.toFixed(2)} CPU-ms per step (all threads), load ${loadavg()[0].toFixed(2)}`);
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
