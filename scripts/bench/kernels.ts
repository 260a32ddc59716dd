/**
 * Kernel benchmark: stock wasm vs. wasm with this project's kernel fixes vs. the cpu backend,
 * in one run, on the matmuls of a 784-512-512-10 MLP at batch 128 (forward and both backward
 * transposed forms), attention-sized batched matmuls, the conv weight and input gradients of
 * the reference CNN, a conv bias gradient (Sum over leading axes), a max-pooling gradient,
 * the gather of a training batch, a slice of rows and a ReLU gradient. Stock and patched runs
 * alternate. Prints median milliseconds and ratios (absolute times are machine noise). The cpu
 * column is left out for the conv gradients: tfjs's cpu kernels need minutes there.
 *
 *   node --import tsx scripts/bench/kernels.ts [--reps N] [--no-cpu] [--only TEXT (cases whose label has it)]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/tensor/backend';
import { registerWasmKernelFixes, unregisterWasmKernelFixes } from '../../src/core/tensor/wasm';

interface Case {
  label: string;
  /** Builds the inputs once (on the current backend); returns the op to time. */
  setup: () => { run: () => tf.Tensor; inputs: tf.Tensor[] };
  /** Kernel the stock wasm backend lacks (then 'stock' is reported as missing). */
  missingOnStock?: boolean;
  /** The cpu backend takes minutes here (its conv filter gradient runs ~1 M multiply-adds/s). */
  cpuTooSlow?: boolean;
}

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1]) || 10;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const withCpu = !args.includes('--no-cpu');

const matmul = (label: string, a: number[], b: number[], transposeA: boolean, transposeB: boolean): Case => ({
  label,
  setup: () => {
    const x = tf.randomNormal(a);
    const y = tf.randomNormal(b);
    return { run: () => tf.matMul(x, y, transposeA, transposeB), inputs: [x, y] };
  },
});

const convForward = (label: string, x: [number, number, number, number], filterShape: [number, number, number, number]): Case => ({
  label,
  cpuTooSlow: true,
  setup: () => {
    const input = tf.randomNormal(x) as tf.Tensor4D;
    const filter = tf.randomNormal(filterShape) as tf.Tensor4D;
    return { run: () => tf.conv2d(input, filter, 1, 'valid'), inputs: [input, filter] };
  },
});

const convFilterGrad = (label: string, x: number[], filterShape: [number, number, number, number]): Case => ({
  label,
  missingOnStock: true,
  cpuTooSlow: true,
  setup: () => {
    const input = tf.randomNormal(x);
    const outShape = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], filterShape, 1, 1, 'valid').outShape;
    const dy = tf.randomNormal(outShape);
    return {
      run: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: input, dy },
        { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape }) as tf.Tensor,
      inputs: [input, dy],
    };
  },
});

const convInputGrad = (label: string, x: [number, number, number, number], filterShape: [number, number, number, number]): Case => ({
  label,
  cpuTooSlow: true,
  setup: () => {
    const filter = tf.randomNormal(filterShape);
    const outShape = tf.backend_util.computeConv2DInfo(x, filterShape, 1, 1, 'valid').outShape;
    const dy = tf.randomNormal(outShape);
    return {
      run: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter },
        { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', inputShape: x }) as tf.Tensor,
      inputs: [filter, dy],
    };
  },
});

const biasGrad = (label: string, shape: number[]): Case => ({
  label,
  setup: () => {
    const dy = tf.randomNormal(shape);
    return { run: () => tf.sum(dy, [...Array(shape.length - 1).keys()]), inputs: [dy] };
  },
});

const batchGather = (label: string, shape: number[]): Case => ({
  label,
  setup: () => {
    const x = tf.randomNormal(shape);
    const idx = tf.tensor1d(Int32Array.from({ length: 128 }, (_, k) => (k * 7919) % shape[0]), 'int32');
    return { run: () => tf.gather(x, idx), inputs: [x, idx] };
  },
});

const maxPoolGrad = (label: string, x: [number, number, number, number]): Case => ({
  label,
  setup: () => {
    const input = tf.randomNormal(x);
    const output = tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid');
    const dy = tf.randomNormal(output.shape);
    return {
      run: () => tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor,
      inputs: [input, output, dy],
    };
  },
});

const rowSlice = (label: string, shape: number[], rows: number): Case => ({
  label,
  setup: () => {
    const x = tf.randomNormal(shape);
    return { run: () => tf.slice(x, [rows, ...shape.slice(1).map(() => 0)], [rows, ...shape.slice(1)]), inputs: [x] };
  },
});

const reluGradient = (label: string, shape: number[]): Case => ({
  label,
  setup: () => {
    const x = tf.randomNormal(shape);
    const dy = tf.randomNormal(shape);
    // The gradient function is looked up when the gradient runs, so stock/patched both apply.
    return { run: () => tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy), inputs: [x, dy] };
  },
});

const cases: Case[] = [
  matmul('MLP fwd   x[128,784] W[784,512]', [128, 784], [784, 512], false, false),
  matmul('MLP dx    dy[128,512] W^T', [128, 512], [784, 512], false, true),
  matmul('MLP dW    x^T dy', [128, 784], [128, 512], true, false),
  matmul('MLP fwd   h[128,512] W[512,512]', [128, 512], [512, 512], false, false),
  matmul('MLP dx    dy[128,512] W[512,512]^T', [128, 512], [512, 512], false, true),
  matmul('MLP dW    h^T dy [512x128x512]', [128, 512], [128, 512], true, false),
  matmul('MLP dx    dy[128,10] W[512,10]^T', [128, 10], [512, 10], false, true),
  matmul('MLP dW    h^T dy [512x128x10]', [128, 512], [128, 10], true, false),
  matmul('attn      q k^T [32,4,32,16] (small)', [32, 4, 32, 16], [32, 4, 32, 16], false, true),
  matmul('attn      q k^T [8,4,128,32]', [8, 4, 128, 32], [8, 4, 128, 32], false, true),
  matmul('attn grad p^T dy [8,4,128,128]x[..,128,32]', [8, 4, 128, 128], [8, 4, 128, 32], true, false),
  matmul('attn fwd  p v [8,4,128,128]x[..,128,32]', [8, 4, 128, 128], [8, 4, 128, 32], false, false),
  convForward('conv fwd  x[128,28,28,1] f3x3x1x32', [128, 28, 28, 1], [3, 3, 1, 32]),
  convForward('conv fwd  x[128,13,13,32] f3x3x32x64', [128, 13, 13, 32], [3, 3, 32, 64]),
  convFilterGrad('conv dW   x[128,28,28,1] f3x3x1x32', [128, 28, 28, 1], [3, 3, 1, 32]),
  convFilterGrad('conv dW   x[128,13,13,32] f3x3x32x64', [128, 13, 13, 32], [3, 3, 32, 64]),
  convInputGrad('conv dx   x[128,13,13,32] f3x3x32x64', [128, 13, 13, 32], [3, 3, 32, 64]),
  biasGrad('conv db   sum dy[128,26,26,32] over 0,1,2', [128, 26, 26, 32]),
  maxPoolGrad('pool dx   maxPool 2x2 of [128,26,26,32]', [128, 26, 26, 32]),
  {
    label: 'pool      maxPool 2x2 of [128,26,26,32]',
    setup: () => {
      const x = tf.randomNormal([128, 26, 26, 32]) as tf.Tensor4D;
      return { run: () => tf.maxPool(x, 2, 2, 'valid'), inputs: [x] };
    },
  },
  batchGather('batch     gather 128 rows of [8192,28,28,1]', [8192, 28, 28, 1]),
  rowSlice('slice     256 rows of [20000,28,28,1]', [20000, 28, 28, 1], 256),
  reluGradient('relu dx  [128,26,26,32] (gradient incl. forward)', [128, 26, 26, 32]),
];

/** Wall time of one run, including reading the result back. */
function once(run: () => tf.Tensor): number {
  const t0 = performance.now();
  const out = run();
  out.dataSync();
  out.dispose();
  return performance.now() - t0;
}

const median = (times: number[]) => [...times].sort((p, q) => p - q)[Math.floor(times.length / 2)];

/**
 * Median times of stock and patched wasm, alternating the two run by run so that load
 * changes on a shared machine hit both alike (registering the fixes is a map update).
 */
function timeStockAndPatched(c: Case, n: number): { stock?: number; patched: number } {
  const { run, inputs } = c.setup();
  try {
    const stock: number[] = [];
    const patched: number[] = [];
    const runStock = (record: boolean) => {
      if (c.missingOnStock) return;
      unregisterWasmKernelFixes();
      const t = once(run);
      if (record) stock.push(t);
    };
    const runPatched = (record: boolean) => {
      registerWasmKernelFixes();
      const t = once(run);
      if (record) patched.push(t);
    };
    // k = -1 is the warm-up; the order flips every run so neither always goes first.
    for (let k = -1; k < n; k++) {
      if (k % 2 === 0) {
        runStock(k >= 0);
        runPatched(k >= 0);
      } else {
        runPatched(k >= 0);
        runStock(k >= 0);
      }
    }
    return { stock: c.missingOnStock ? undefined : median(stock), patched: median(patched) };
  } finally {
    registerWasmKernelFixes();
    tf.dispose(inputs);
  }
}

function timeOnCurrentBackend(c: Case, n: number): number {
  const { run, inputs } = c.setup();
  try {
    once(run);
    return median(Array.from({ length: n }, () => once(run)));
  } finally {
    tf.dispose(inputs);
  }
}

async function main(): Promise<void> {
  const info = await initBackend('wasm');
  console.error(`wasm: ${info.threads} thread(s), simd ${info.simd}, fma ${info.fma}; reps ${reps}; cpu ${withCpu ? 'on' : 'off'}`);
  const rows: Array<{ label: string; stock?: number; patched: number; cpu?: number }> = [];
  for (const c of cases.filter((k) => only === undefined || k.label.includes(only))) {
    await tf.setBackend('wasm');
    const { stock, patched } = timeStockAndPatched(c, reps);
    let cpu: number | undefined;
    if (withCpu && !c.cpuTooSlow) {
      await tf.setBackend('cpu');
      cpu = timeOnCurrentBackend(c, Math.max(1, Math.ceil(reps / 4)));
    }
    rows.push({ label: c.label, stock, patched, cpu });
    console.error(`  done: ${c.label}`);
  }
  const ms = (v: number | undefined, absent: string) => (v === undefined ? absent : v.toFixed(2));
  const ratio = (num?: number, den?: number) => (num === undefined || den === undefined ? '-' : `${(num / den).toFixed(1)}x`);
  const header = ['case', 'stock wasm ms', 'patched wasm ms', 'cpu ms', 'stock/patched', 'cpu/patched'];
  const table = rows.map((r) => [r.label, ms(r.stock, 'missing'), ms(r.patched, ''), withCpu ? ms(r.cpu, 'not run') : 'off',
    ratio(r.stock, r.patched), ratio(r.cpu, r.patched)]);
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((row) => row[k].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, k) => (k === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of table) console.log(line(row));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
