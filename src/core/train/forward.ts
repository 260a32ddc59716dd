import * as tf from '@tensorflow/tfjs';
import { convPoolApplies, convPoolLayer } from '../tensor/wasm/convPool';
import { convLayer, denseLayer, fusedLayersAvailable } from '../tensor/wasm/fusedLayers';
import { sparseSoftmaxCrossEntropy } from '../tensor/wasm/softmaxCrossEntropy';
import { winogradApplies, winogradConvLayer, winogradPoolApplies } from '../tensor/wasm/winogradConv';

/**
 * Running a chain of `tf.layers` layers one by one, so the loop decides per layer whether it
 * runs in training or inference mode and inside or outside the gradient tape.
 *
 * Loss: when the last layer is a dense layer with softmax, the loop computes its logits
 * (x W + b) and uses `tf.losses.softmaxCrossEntropy`, which is numerically stable where
 * cross-entropy on probabilities is not (log of a rounded-to-0 probability). Saved models keep
 * the softmax, so their predictions are probabilities. Any other last layer's outputs are
 * treated as logits (a linear layer is the intended case).
 *
 * Dense and conv layers with a bias and ReLU (or no activation) run as one fused kernel where the
 * backend has it (`tensor/wasm/fusedLayers.ts`: same results as the layer's own ops, fewer passes),
 * a conv layer followed by a 2x2/2 max pooling as one kernel with it (`tensor/wasm/convPool.ts`,
 * `winogradConv.ts`: the same output, no full-size activation), and the loss as one kernel
 * (`tensor/wasm/softmaxCrossEntropy.ts`).
 */
export interface ForwardPlan {
  layers: tf.layers.Layer[];
  /** Whether `layers[last]` is a dense+softmax layer whose logits the loop computes itself. */
  logitsFromDense: boolean;
}

export function forwardPlan(layers: tf.layers.Layer[]): ForwardPlan {
  const last = layers[layers.length - 1];
  const logitsFromDense =
    last.getClassName() === 'Dense' && last.getConfig().activation === 'softmax' && last.outputShape.length === 2;
  return { layers, logitsFromDense };
}

/**
 * Apply layers `from..to-1` to `x`. `training` turns on dropout and batch statistics;
 * `seed` (training only) seeds dropout masks, different per layer, so a run is reproducible
 * (a seed fixed in the layer config would repeat the same mask every step).
 * Returns logits when the chain ends at the model's last layer.
 */
export function runLayers(plan: ForwardPlan, x: tf.Tensor, from: number, to: number, training: boolean, seed: number): tf.Tensor {
  let h = x;
  for (let l = from; l < to; l++) {
    const layer = plan.layers[l];
    const isLast = l === plan.layers.length - 1;
    if (isLast && plan.logitsFromDense) {
      const [kernel, bias] = layerWeights(layer);
      if (bias !== undefined && h.rank === 2 && h.dtype === 'float32' && fusedLayersAvailable()) {
        h = denseLayer(h, kernel.read(), bias.read(), false);
        continue;
      }
      h = tf.matMul(h as tf.Tensor2D, kernel.read() as tf.Tensor2D);
      if (bias !== undefined) h = tf.add(h, bias.read());
      continue;
    }
    const pooled = l + 1 < to ? convPoolLayerOf(layer, plan.layers[l + 1], h) : undefined;
    if (pooled) {
      h = pooled;
      l++;
      continue;
    }
    const fused = fusedLayer(layer, h);
    if (fused) {
      h = fused;
      continue;
    }
    switch (layer.getClassName()) {
      case 'Dropout': {
        const rate = layer.getConfig().rate as number;
        h = training && rate > 0 ? tf.dropout(h, rate, undefined, seed + 31 * l) : h;
        break;
      }
      case 'TransformerEncoder':
        h = layer.apply(h, { training, seed: seed + 31 * l }) as tf.Tensor;
        break;
      default:
        h = layer.apply(h, { training }) as tf.Tensor;
    }
  }
  return h;
}

const layerWeights = (layer: tf.layers.Layer) => (layer.trainableWeights.length > 0 ? layer.trainableWeights : layer.weights);

/** How a layer runs as a fused kernel (from its config, which does not change), or null: it does not. */
type FusedSpec = { kind: 'dense'; relu: boolean } | { kind: 'conv'; relu: boolean; strides: [number, number]; pad: 'valid' | 'same' } | null;
const fusedSpecs = new WeakMap<tf.layers.Layer, FusedSpec>();

function fusedSpec(layer: tf.layers.Layer): FusedSpec {
  const known = fusedSpecs.get(layer);
  if (known !== undefined) return known;
  const kind = layer.getClassName();
  let spec: FusedSpec = null;
  if (kind === 'Dense' || kind === 'Conv2D') {
    const cfg = layer.getConfig();
    const activation = cfg.activation;
    const plain = (activation === 'relu' || activation === 'linear') && cfg.useBias === true && !cfg.activityRegularizer;
    const relu = activation === 'relu';
    if (plain && kind === 'Dense') spec = { kind: 'dense', relu };
    const dilation = [(cfg.dilationRate as number | number[] | undefined) ?? 1].flat();
    const padding = cfg.padding;
    if (plain && kind === 'Conv2D' && cfg.dataFormat === 'channelsLast' && dilation.every((d) => d === 1) && (padding === 'valid' || padding === 'same')) {
      const strides = cfg.strides as number | number[];
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : [strides[0], strides[1] ?? strides[0]];
      spec = { kind: 'conv', relu, strides: [sh, sw], pad: padding };
    }
  }
  fusedSpecs.set(layer, spec);
  return spec;
}

/**
 * A Dense (rank-2 input) or Conv2D (NHWC, dilation 1) layer with a bias and ReLU or no
 * activation, and no regularisers, as one fused kernel; undefined for anything else.
 */
function fusedLayer(layer: tf.layers.Layer, x: tf.Tensor): tf.Tensor | undefined {
  const spec = fusedSpec(layer);
  if (!spec || x.dtype !== 'float32' || !fusedLayersAvailable()) return undefined;
  const [kernel, bias] = layerWeights(layer);
  if (bias === undefined) return undefined;
  if (spec.kind === 'dense') return x.rank === 2 ? denseLayer(x, kernel.read(), bias.read(), spec.relu) : undefined;
  if (x.rank !== 4) return undefined;
  const filter = kernel.read();
  // 3x3 stride-1 layers as Winograd F(4x4, 3x3) (4x fewer multiply-adds), the rest as im2col + product.
  if (winogradApplies(filter.shape, spec.strides)) return winogradConvLayer(x, filter, bias.read(), spec.pad, spec.relu);
  return convLayer(x, filter, bias.read(), spec);
}

/** Whether a layer is a 2x2 max pooling with stride 2, 'valid', NHWC (from its config, which does not change). */
const pools2x2 = new WeakMap<tf.layers.Layer, boolean>();

function isMaxPool2x2(layer: tf.layers.Layer): boolean {
  let known = pools2x2.get(layer);
  if (known === undefined) {
    const cfg = layer.getConfig();
    const twos = (v: unknown) => [v].flat().every((d) => d === 2);
    known = layer.getClassName() === 'MaxPooling2D' && cfg.padding === 'valid' && cfg.dataFormat === 'channelsLast' &&
      twos(cfg.poolSize) && twos(cfg.strides ?? cfg.poolSize);
    pools2x2.set(layer, known);
  }
  return known;
}

/**
 * A fusable conv layer (see `fusedLayer`) followed by a 2x2/2 max pooling, as one kernel: a
 * Winograd layer pooling in its output transform (`tensor/wasm/winogradConv.ts`), or a layer with
 * few input channels (`tensor/wasm/convPool.ts`); undefined when neither applies.
 */
function convPoolLayerOf(layer: tf.layers.Layer, next: tf.layers.Layer, x: tf.Tensor): tf.Tensor | undefined {
  const spec = fusedSpec(layer);
  if (spec?.kind !== 'conv' || x.rank !== 4 || x.dtype !== 'float32' || !isMaxPool2x2(next) || !fusedLayersAvailable()) return undefined;
  const [kernel, bias] = layerWeights(layer);
  if (bias === undefined) return undefined;
  const filter = kernel.read();
  if (winogradApplies(filter.shape, spec.strides)) {
    return winogradPoolApplies(x.shape, filter.shape, spec.pad) ? winogradConvLayer(x, filter, bias.read(), spec.pad, spec.relu, true) : undefined;
  }
  return convPoolApplies(x.shape, filter.shape, spec.strides, spec.pad) ? convPoolLayer(x, filter, bias.read(), spec.pad, spec.relu) : undefined;
}

/** Mean softmax cross-entropy of logits against integer labels. */
export function meanLoss(logits: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  if (logits.rank === 2 && logits.shape[1] === numClasses) {
    const fused = sparseSoftmaxCrossEntropy(logits, labels);
    if (fused) return fused;
  }
  const onehot = tf.oneHot(labels, numClasses).toFloat();
  return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
}

/** Summed loss and number of correct predictions of a batch (for evaluation). */
export function lossSumAndCorrect(logits: tf.Tensor, labels: tf.Tensor1D, numClasses: number): [tf.Scalar, tf.Scalar] {
  const onehot = tf.oneHot(labels, numClasses).toFloat();
  const lossSum = tf.losses.softmaxCrossEntropy(onehot, logits, undefined, 0, tf.Reduction.SUM) as tf.Scalar;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32')) as tf.Scalar;
  return [lossSum, correct];
}

/** Layers `from..` as one stack of dense layers (`train/denseStep.ts`): each Dense's ReLU flag, in order. */
export interface DenseChain {
  layers: tf.layers.Layer[];
  relu: boolean[];
  /** A Flatten layer lies among them (the stack's input may have more than 2 dimensions). */
  flatten: boolean;
}

const denseChains = new WeakMap<ForwardPlan, Map<number, DenseChain | null>>();

/**
 * The layers from `from` to the end as a stack of dense layers with biases (ReLU or none; the
 * last one's logits when it is the dense+softmax output), with only Flatten layers between them;
 * undefined when any other layer is among them. From the layers' configs, which do not change.
 */
export function denseChain(plan: ForwardPlan, from: number): DenseChain | undefined {
  let known = denseChains.get(plan);
  if (!known) denseChains.set(plan, (known = new Map()));
  let chain = known.get(from);
  if (chain === undefined) {
    chain = { layers: [], relu: [], flatten: false };
    for (let l = from; l < plan.layers.length && chain; l++) {
      const layer = plan.layers[l];
      const isLast = l === plan.layers.length - 1;
      const spec = fusedSpec(layer);
      if (layer.getClassName() === 'Flatten' && !isLast) {
        chain.flatten = true;
        continue;
      }
      if (spec?.kind === 'dense' || (isLast && plan.logitsFromDense && layer.getConfig().useBias === true)) {
        chain.layers.push(layer);
        chain.relu.push(spec?.kind === 'dense' && spec.relu);
      } else {
        chain = null;
      }
    }
    if (chain && (chain.layers.length === 0 || chain.layers[chain.layers.length - 1] !== plan.layers[plan.layers.length - 1])) chain = null;
    known.set(from, chain);
  }
  return chain ?? undefined;
}

/** A layer's kernel and bias variables (or its weights when it has no trainable ones). */
export function layerVariables(layer: tf.layers.Layer): tf.Tensor[] {
  return layerWeights(layer).map((w) => w.read());
}
