/**
 * Where sharing a float32 training product between threads starts to pay (PARALLEL_MIN in
 * src/core/tensor/wasm/threads.ts): square products of growing size, each timed on 1
 * thread and on N threads (the threshold lifted for the N-thread runs), in one process,
 * interleaved, best of several repetitions. Prints both times, their ratio, and the share of the
 * N-thread runs' blocks the helpers computed (near 0 on a loaded machine: helpers woken too late),
 * and the CPU time per product on 1 and N threads (this process, all threads, mean over every
 * repetition): on a loaded machine wall times mostly measure waiting for a core, while the extra
 * CPU time of a shared product is the cost of sharing it (waking helpers, packing again).
 *
 *   node --import tsx scripts/bench/matMulThreads.ts [--threads N] [--reps 15]
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../src/core/tensor/backend';
import { matMulHelperItems, matMulThreaded, setKernelThreads } from '../../src/core/tensor/wasm/threads';
import { heapOffset } from '../../src/core/tensor/wasm/simdKernels';

function option(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] !== undefined ? process.argv[k + 1] : fallback;
}

async function main(): Promise<void> {
  const threads = Number(option('threads', String(availableParallelism())));
  const reps = Number(option('reps', '15'));
  await initBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  console.log(`| m = n = k | multiply-adds | 1 thread ms | ${threads} threads ms | speed-up | blocks by helpers | CPU µs 1 thread | CPU µs ${threads} threads |`);
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  const cpuMicros = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  for (const size of [24, 32, 40, 50, 64, 80, 101, 128, 161, 203, 256]) {
    const a = tf.randomNormal([size, size]);
    const b = tf.randomNormal([size, size]);
    const c = tf.zeros([size, size]);
    const [pa, pb, pc] = [a, b, c].map((t) => heapOffset(backend, t));
    const best = [Infinity, Infinity];
    const cpu = [0, 0];
    const helped = matMulHelperItems(backend);
    let blocks = 0;
    // Enough products per timing that the clock's resolution does not matter.
    const inner = Math.max(1, Math.round(2e7 / size ** 3));
    for (let r = 0; r < reps; r++) {
      for (const [slot, t] of [[0, 1], [1, threads]] as const) {
        setKernelThreads(t);
        const start = performance.now();
        const cpuStart = cpuMicros();
        for (let i = 0; i < inner; i++) matMulThreaded(backend, size, size, size, pa, size * 4, 4, pb, 0, pc, { minimum: 0 });
        cpu[slot] += (cpuMicros() - cpuStart) / inner / reps;
        if (t > 1) blocks += inner * Math.min(Math.ceil(size / 4), 2 * t);
        best[slot] = Math.min(best[slot], (performance.now() - start) / inner);
      }
      // Let the helpers start (in the background, on the first shared product).
      if (r === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.log(`| ${size} | ${size ** 3} | ${best[0].toFixed(3)} | ${best[1].toFixed(3)} | ${(best[0] / best[1]).toFixed(2)}x | ${((100 * (matMulHelperItems(backend) - helped)) / blocks).toFixed(0)}% | ${cpu[0].toFixed(0)} | ${cpu[1].toFixed(0)} |`);
    tf.dispose([a, b, c]);
  }
  setKernelThreads(undefined);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
