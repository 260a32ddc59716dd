import { totalmem } from 'node:os';
import { UserError } from '../errors';
import { inferShapes } from '../experiment/shapes';
import type { LayerConfig, TrainExperiment } from '../experiment/types';
import { INFERENCE_BATCH } from './prefixCache';

/** Bytes a training run will hold on its tensor backend, by what holds them. */
export interface MemoryEstimate {
  /** Weights, their gradients and the optimizer's slots. */
  model: number;
  /** The training and test splits as tensors. */
  data: number;
  /** Layer outputs of one batch (training or evaluation, whichever is larger), forward and backward. */
  activations: number;
  total: number;
  /** The layer with the most parameters (where a too-large model usually is). */
  largestLayer?: { index: number; params: number };
}

/** What the wasm backend can address: a 32-bit WebAssembly memory (the tfjs build's maximum). */
export const WASM_MEMORY_BYTES = 4 * 2 ** 30;

/**
 * A lower-bound estimate of what training `exp` on data of this size needs, from the layer
 * configurations alone (before any tensor is allocated, so an impossible model is refused
 * instead of failing deep inside the backend). Undefined for models built on a saved one
 * (`from`), whose layers are only known once loaded, or when the shapes do not work out (the
 * model builder reports that).
 */
export function estimateTrainingMemory(
  exp: TrainExperiment,
  data: { trainCount: number; testCount: number; exampleShape: number[]; vocabSize?: number },
): MemoryEstimate | undefined {
  const layers = exp.model.layers ?? [];
  if (exp.model.from !== undefined || layers.length === 0) return undefined;
  const inferred = inferShapes(data.exampleShape, layers);
  if (inferred.problem) return undefined;
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  let params = 0;
  let perExample = 0;
  let largestLayer: MemoryEstimate['largestLayer'];
  inferred.layers.forEach((l, i) => {
    const p = layerParams(layers[i], l.input, data.vocabSize);
    params += p;
    if (!largestLayer || p > largestLayer.params) largestLayer = { index: i, params: p };
    perExample += size(l.output) + layerScratch(layers[i], l.input);
  });
  const optimizer = exp.training.optimizer;
  const slots = { adam: 2, rmsprop: optimizer?.momentum ? 2 : 1, momentum: 1, sgd: 0 }[optimizer?.type ?? 'adam'];
  const model = 4 * params * (2 + slots);
  const dataBytes = (data.trainCount + data.testCount) * (4 * size(data.exampleShape) + 4);
  // Forward outputs are kept for the backward pass, which makes gradients of the same size.
  const activations = 4 * perExample * Math.max(exp.training.batchSize, INFERENCE_BATCH) * 2;
  return { model, data: dataBytes, activations, total: model + dataBytes + activations, largestLayer };
}

/**
 * Throws a one-line `UserError` when `estimate` exceeds what `backend` can hold (the wasm
 * memory, else this machine's memory), pointing at the part that dominates.
 */
export function checkTrainingMemory(estimate: MemoryEstimate | undefined, backend: string): void {
  if (!estimate) return;
  const limit = backend === 'wasm' ? WASM_MEMORY_BYTES : totalmem();
  if (estimate.total <= limit) return;
  const where = backend === 'wasm' ? 'the wasm backend can address (4 GiB)' : `this machine has (${gib(limit)})`;
  const parts = `model ${gib(estimate.model)} with gradients and optimizer state, data ${gib(estimate.data)}, activations ${gib(estimate.activations)}`;
  const biggest = Math.max(estimate.model, estimate.data, estimate.activations);
  const [pointer, advice] =
    biggest === estimate.model
      ? [estimate.largestLayer ? `/model/layers/${estimate.largestLayer.index}` : '/model/layers', 'make the model smaller']
      : biggest === estimate.data
        ? ['/data/limit', 'train on fewer examples (data.limit)']
        : ['/training/batchSize', 'use a smaller batch size'];
  throw new UserError(`this run needs about ${gib(estimate.total)} (${parts}), more than ${where}; ${advice}`, pointer);
}

function layerParams(cfg: LayerConfig, input: number[], vocabSize: number | undefined): number {
  const last = input[input.length - 1] ?? 0;
  switch (cfg.type) {
    case 'dense':
      return (last + 1) * (cfg.units ?? 0);
    case 'conv2d': {
      const k = cfg.kernelSize ?? 1;
      const [kh, kw] = Array.isArray(k) ? k : [k, k];
      return (kh * kw * last + 1) * (cfg.filters ?? 0);
    }
    case 'batchNormalization':
      return 4 * last;
    case 'embedding':
      return (cfg.inputDim ?? vocabSize ?? 0) * (cfg.outputDim ?? 0);
    case 'transformerEncoder': {
      const ff = cfg.ffDim ?? 0;
      // Attention (4 d x d projections), the feed-forward pair, two layer norms.
      return 4 * (last * last + last) + 2 * last * ff + ff + last + 4 * last;
    }
    default:
      return 0;
  }
}

/** Per-example values a layer computes besides its output (attention scores, the feed-forward hidden layer). */
function layerScratch(cfg: LayerConfig, input: number[]): number {
  if (cfg.type !== 'transformerEncoder') return 0;
  const [length, dim] = input;
  return (cfg.numHeads ?? 2) * length * length + length * (cfg.ffDim ?? 0) + 4 * length * dim;
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;
}
