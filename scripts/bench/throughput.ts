/**
 * Training throughput: Model Lab's trainer vs. a plain PyTorch CPU script, in one run, on the
 * MLP (784-512-512-10) and CNN of the Fashion-MNIST examples (same data, batch 128, Adam 1e-3,
 * no freezing). Ours trains on N threads (`--threads`, default every core) and again on one
 * thread (its own speed-up, less sensitive to load than the comparison); PyTorch trains once per
 * thread count from 1 to the cores (`--torch-threads`), and ours is compared with its BEST
 * (which count that was is printed) and with its one-thread figure. Prints samples/s, ratios,
 * test accuracy, peak memory, the live tensor count after each epoch (it must not grow), and
 * the load average before and after (the machine may be shared). Issues 4 and 13.
 *
 *   node --import tsx scripts/bench/throughput.ts [--models mlp,cnn] [--epochs 2] [--train-limit 10000]
 *        [--threads N] [--torch-threads 1,2] [--backend auto|wasm|cpu|tensorflow] [--torch-script PATH]
 *        [--python /usr/bin/python3] [--no-torch] [--policy none|static|linear|autofreeze|smartfrz]
 *        [--blas openmp|system]
 *
 * With `--policy` other than none, ours trains with that freezing policy (frozen-prefix cache
 * on, as the examples) while PyTorch trains every layer, and a second table compares the whole
 * run: wall seconds of all epochs and test accuracy (the issue's moonshot: PyTorch's accuracy
 * in less time).
 *
 * The first epoch is warm-up for both engines (the PyTorch script does the same), so run at
 * least 2 epochs. The PyTorch reference needs Debian's python3-torch and python3-numpy, and an
 * optimised BLAS (libopenblas0-openmp): with only the reference libblas3, PyTorch is ~10x slower.
 * Both engines run on the OpenMP build of OpenBLAS where it is installed (`--blas system` for
 * the system's choice; see blasLibrary.ts for why), and the library each mapped is printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadData } from '../../src/core/data/load';
import { loadExperimentFile } from '../../src/core/experiment/load';
import type { TrainExperiment } from '../../src/core/experiment/types';
import { createPolicy } from '../../src/core/freezing/create';
import { buildModel } from '../../src/core/model/build';
import { initBackend, type BackendPreference } from '../../src/core/tensor/backend';
import { kernelThreads, setKernelThreads } from '../../src/core/tensor/wasm/threads';
import { convProductEngine, denseProductEngine } from '../../src/core/tensor/wasm/nativeGemm';
import { train } from '../../src/core/train/trainer';
import { blasEnvironment, mappedBlas, openmpBlasDir, ownMappedBlas, type BlasChoice } from './blasLibrary';

function option(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] !== undefined ? process.argv[k + 1] : fallback;
}

const models = option('models', 'mlp,cnn').split(',');
const epochs = Number(option('epochs', '2'));
const trainLimit = Number(option('train-limit', '10000'));
const backendPref = option('backend', 'auto') as BackendPreference;
const torchScript = option('torch-script', path.join(__dirname, 'torch_reference.py'));
const python = option('python', '/usr/bin/python3');
const withTorch = !process.argv.includes('--no-torch');
const policy = option('policy', 'none');
const threads = Number(option('threads', String(kernelThreads())));
const torchThreads = option('torch-threads', Array.from({ length: availableParallelism() }, (_, k) => k + 1).join(',')).split(',').map(Number);
const examples = path.join(__dirname, '..', '..', 'examples', 'fashion-mnist');
const blas = blasEnvironment(option('blas', 'openmp') as BlasChoice, process.env, openmpBlasDir());
/** The BLAS library PyTorch's runs mapped (from the reference script's own report). */
const torchBlas = new Set<string>();

interface Measured {
  samplesPerSecond: number;
  testAccuracy: number;
  peakRssMiB?: number;
  tensorsAfterEpoch?: number[];
  /** Samples per second of this process's CPU time (user + system): comparable under load. */
  samplesPerCpuSecond?: number;
  /** Wall seconds of all epochs' training, warm-up included (test evaluations excluded). */
  totalSeconds: number;
}

async function ours(model: string, backendName: string): Promise<Measured> {
  const loaded = await loadExperimentFile(path.join(examples, `fashion-${model}.experiment.json`), { policy });
  const experiment = loaded.experiment as TrainExperiment;
  experiment.data = { ...experiment.data, limit: trainLimit };
  experiment.training = { ...experiment.training, epochs };
  const seed = experiment.training.seed ?? 0;
  const data = await loadData(experiment.data, { seed });
  const built = await buildModel(experiment.model, { exampleShape: data.exampleShape, inputDtype: data.xDtype, seed });
  let peakRss = process.memoryUsage().rss;
  const tensorsAfterEpoch: number[] = [];
  const cpuAtEpochEnd: number[] = [];
  const cpuAtStart = cpuSeconds();
  const result = await train({
    experiment,
    data,
    model: built,
    policy: createPolicy(experiment.freezing),
    runId: `bench-${model}`,
    backend: backendName,
    logEverySteps: 10,
    shouldStop: () => false,
    onEvent: (e) => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (e.type === 'epoch') {
        cpuAtEpochEnd.push(cpuSeconds());
        tensorsAfterEpoch.push(tf.memory().numTensors);
        console.error(`  ours ${model} epoch ${e.epoch}: ${e.samplesPerSecond.toFixed(0)} samples/s, test acc ${e.testAccuracy.toFixed(4)}`);
      }
    },
  });
  built.dispose();
  const timed = result.history.length > 1 ? result.history.slice(1) : result.history;
  const seconds = timed.reduce((s, h) => s + h.seconds, 0);
  // CPU time of the same epochs (each epoch event also covers its test evaluation, as `seconds` does not).
  const cpuStarts = [cpuAtStart, ...cpuAtEpochEnd];
  const cpuTimed = cpuAtEpochEnd.map((end, k) => end - cpuStarts[k]).slice(cpuAtEpochEnd.length > 1 ? 1 : 0);
  return {
    totalSeconds: result.history.reduce((s, h) => s + h.seconds, 0),
    samplesPerCpuSecond: (data.train.count * cpuTimed.length) / cpuTimed.reduce((s, c) => s + c, 0),
    samplesPerSecond: (data.train.count * timed.length) / seconds,
    testAccuracy: result.metrics.accuracy,
    peakRssMiB: peakRss / 2 ** 20,
    tensorsAfterEpoch,
  };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function pytorch(model: string, threads: number): Measured | string {
  if (!withTorch) return 'skipped';
  if (!existsSync(torchScript)) return `no reference script at ${torchScript} (--torch-script)`;
  const dataDir = '/usr/share/datasets/fashion-mnist';
  const run = spawnSync(python, [torchScript, '--model', model, '--epochs', String(epochs), '--train-limit', String(trainLimit),
    '--threads', String(threads), '--data', dataDir], { encoding: 'utf8', env: blas.reference });
  if (run.status !== 0) return `failed: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}`;
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
  for (const library of mappedBlas(out.maps ?? '')) torchBlas.add(library);
  console.error(`  pytorch ${model} (${threads}t): ${out.samplesPerSecond} samples/s, test acc ${out.testAccuracy}`);
  return {
    samplesPerSecond: out.samplesPerSecond,
    testAccuracy: out.testAccuracy,
    totalSeconds: (out.epochSeconds as number[]).reduce((s, x) => s + x, 0),
  };
}

/** PyTorch at each thread count; the best by samples/s (or why there is none). */
function pytorchBest(model: string): { best?: Measured & { threads: number }; one?: Measured; note: string } {
  let best: (Measured & { threads: number }) | undefined;
  let one: Measured | undefined;
  let note = '';
  for (const t of torchThreads) {
    const r = pytorch(model, t);
    if (typeof r === 'string') {
      note = r;
      continue;
    }
    if (t === 1) one = r;
    if (!best || r.samplesPerSecond > best.samplesPerSecond) best = { ...r, threads: t };
  }
  return { best, one, note };
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  // Before the backend loads the native product, which opens OpenBLAS once per process.
  Object.assign(process.env, blas.ours);
  setKernelThreads(threads);
  const info = await initBackend(backendPref);
  const loadBefore = load();
  console.error(`backend ${info.name}, ${info.threads} thread(s), simd ${info.simd}, fma ${info.fma}; ${trainLimit} training examples, ${epochs} epochs (first is warm-up); load average ${loadBefore}`);
  if (info.name === 'wasm') console.error(`dense layers' products: ${denseProductEngine()}; conv products: ${convProductEngine()}`);
  const rows: string[][] = [];
  const runs: string[][] = [];
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}x`;
  for (const model of models) {
    setKernelThreads(threads);
    const a = await ours(model, info.name);
    setKernelThreads(1);
    const single = threads > 1 && info.name === 'wasm' ? await ours(model, info.name) : undefined;
    setKernelThreads(threads);
    const { best: torch, one: torchOne, note } = pytorchBest(model);
    const growing = a.tensorsAfterEpoch!.some((n, k) => k > 0 && n > a.tensorsAfterEpoch![k - 1]);
    rows.push([
      model,
      a.samplesPerSecond.toFixed(0),
      single ? single.samplesPerSecond.toFixed(0) : '-',
      single ? ratio(a.samplesPerSecond, single.samplesPerSecond) : '-',
      torch ? `${torch.samplesPerSecond.toFixed(0)} (${torch.threads}t)` : note || 'skipped',
      torch ? ratio(a.samplesPerSecond, torch.samplesPerSecond) : '-',
      torchOne ? torchOne.samplesPerSecond.toFixed(0) : '-',
      torchOne ? ratio(a.samplesPerSecond, torchOne.samplesPerSecond) : '-',
      a.samplesPerCpuSecond!.toFixed(0),
      a.testAccuracy.toFixed(4),
      torch ? torch.testAccuracy.toFixed(4) : '-',
      a.peakRssMiB!.toFixed(0),
      `${a.tensorsAfterEpoch!.join(', ')}${growing ? ' (GROWS)' : ''}`,
    ]);
    runs.push([
      model,
      a.totalSeconds.toFixed(1),
      torch ? torch.totalSeconds.toFixed(1) : note || 'skipped',
      torch ? ratio(a.totalSeconds, torch.totalSeconds) : '-',
      a.testAccuracy.toFixed(4),
      torch ? torch.testAccuracy.toFixed(4) : '-',
      torch ? (a.testAccuracy >= torch.testAccuracy && a.totalSeconds < torch.totalSeconds ? 'yes' : 'no') : '-',
    ]);
  }
  printTable(['model', `ours samples/s (${info.name}, ${threads}t)`, 'ours 1t', `ours ${threads}t/1t`, 'pytorch best samples/s',
    'ours/pytorch best', 'pytorch 1t', 'ours/pytorch 1t', 'ours samples/CPU-s', 'ours test acc', 'pytorch test acc',
    'ours peak RSS MiB', 'tensors after each epoch'], rows);
  if (policy !== 'none') {
    console.log(`\nWhole run, ${epochs} epochs: ours with ${policy} freezing on ${threads} threads, PyTorch training every layer at its best thread count`);
    printTable(['model', 'ours seconds', 'pytorch seconds', 'ours/pytorch', 'ours test acc', 'pytorch test acc',
      'as accurate in less time'], runs);
  }
  const named = (libraries: string[]) => (libraries.length > 0 ? libraries.join(', ') : 'none');
  console.log(`\nBLAS: ${blas.note}; mapped by ours: ${named(ownMappedBlas())}; by PyTorch: ${withTorch ? named([...torchBlas]) : 'not run'}`);
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after; ${availableParallelism()} cores`);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => `| ${cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, k) => (k === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
