import * as tf from '@tensorflow/tfjs';
import { modelLayers } from '../model/flops';
import { TransformerEncoder } from '../model/transformerEncoder';

/**
 * What distillation losses read from one forward pass of a teacher or a student.
 * Hidden states are the representations TinyBERT matches: for a transformer the embedding
 * output (the input of the first encoder block) and each block's output; for other models the
 * output of each dense layer but the last. `scores` are each encoder block's unnormalised
 * attention scores. `bnInputs` are what each batch-norm layer normalises (DeepInversion).
 */
export interface ForwardResult {
  /** Pre-softmax outputs (a softmax output layer is evaluated without its activation); absent for an encoder without a classifier. */
  logits?: tf.Tensor2D;
  /** The input of the output layer (DAFL's activation loss). */
  features: tf.Tensor;
  hidden: tf.Tensor[];
  scores: tf.Tensor4D[];
  bnInputs: tf.Tensor[];
}

/** The layers of a chain model that forward passes report on, by kind, in order. */
export interface ModelAnatomy {
  /** Names of the layers whose outputs are `hidden[i]` (for a transformer, `hidden[0]` is the layer before the first encoder). */
  hiddenLayers: string[];
  /** Whether `hidden[0]` is an embedding output (transformers) rather than a hidden layer's. */
  hasEmbedding: boolean;
  /** Encoder blocks (one attention score tensor each). */
  encoderLayers: string[];
  batchNormLayers: string[];
  /** Width of each hidden state (last dimension). */
  hiddenWidths: number[];
  numHeads: number[];
  /** The dense classifier at the end (absent for an encoder, e.g. one pretrained by masked-LM). */
  outputLayer?: string;
  numClasses: number;
  inputShape: number[];
  inputDtype: 'float32' | 'int32';
}

const anatomies = new WeakMap<tf.LayersModel, ModelAnatomy>();

/** Reads what `forward` will report, and checks the model is a chain ending in a dense classifier. */
export function anatomy(model: tf.LayersModel): ModelAnatomy {
  let found = anatomies.get(model);
  if (!found) anatomies.set(model, (found = readAnatomy(model)));
  return found;
}

function readAnatomy(model: tf.LayersModel): ModelAnatomy {
  const layers = modelLayers(model);
  if (layers.length === 0) throw new Error('the model has no layers');
  const last = layers[layers.length - 1];
  const out = last.getClassName() === 'Dense' ? last : undefined;
  if (!out && !(last instanceof TransformerEncoder)) {
    throw new Error(`the output layer '${last.name}' must be a dense layer (it is ${last.getClassName()})`);
  }
  const act = String(out?.getConfig().activation ?? 'linear');
  if (act !== 'softmax' && act !== 'linear') {
    throw new Error(`the output layer '${last.name}' must have softmax or linear activation for distillation (it has ${act})`);
  }
  const encoders = layers.filter((l) => l instanceof TransformerEncoder);
  const width = (l: tf.layers.Layer) => {
    const s = l.outputShape as number[];
    return s[s.length - 1];
  };
  let hiddenLayers: tf.layers.Layer[];
  let hasEmbedding = false;
  if (encoders.length > 0) {
    const first = layers.indexOf(encoders[0]);
    if (first === 0) throw new Error(`the first encoder block '${encoders[0].name}' needs an embedding layer before it`);
    hiddenLayers = [layers[first - 1], ...encoders];
    hasEmbedding = true;
  } else {
    hiddenLayers = layers.filter((l) => l.getClassName() === 'Dense' && l !== out);
  }
  const input = model.inputs[0];
  return {
    hiddenLayers: hiddenLayers.map((l) => l.name),
    hasEmbedding,
    encoderLayers: encoders.map((l) => l.name),
    batchNormLayers: layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => l.name),
    hiddenWidths: hiddenLayers.map(width),
    numHeads: encoders.map((l) => (l as TransformerEncoder).numHeads),
    outputLayer: out?.name,
    numClasses: out ? width(out) : 0,
    inputShape: input.shape.slice(1) as number[],
    inputDtype: input.dtype === 'int32' ? 'int32' : 'float32',
  };
}

export interface ForwardOptions {
  training?: boolean;
  /** Seeds training-mode dropout (encoder blocks and dropout layers), so steps are reproducible. */
  seed?: number;
}

/**
 * One forward pass of a chain model (as `buildModel` makes them) on concrete tensors, layer by
 * layer, collecting hidden states, attention scores and batch-norm inputs. The weights are the
 * model's own, so losses on any of these train the model. In inference mode (the default) batch
 * norm uses, and never updates, its moving statistics.
 */
export function forward(model: tf.LayersModel, x: tf.Tensor, opts: ForwardOptions = {}): ForwardResult {
  const layers = modelLayers(model);
  const training = opts.training === true;
  const shape = anatomy(model);
  const hiddenNames = new Set(shape.hiddenLayers);
  const hidden: tf.Tensor[] = [];
  const scores: tf.Tensor4D[] = [];
  const bnInputs: tf.Tensor[] = [];
  let h = x;
  let features: tf.Tensor = x;
  let logits: tf.Tensor2D | undefined;
  layers.forEach((layer, i) => {
    const seed = opts.seed === undefined ? undefined : opts.seed * 131 + i;
    const cls = layer.getClassName();
    if (i === layers.length - 1 && shape.outputLayer !== undefined) {
      features = h;
      const [kernel, bias] = layer.weights.map((w) => w.read());
      logits = (bias ? tf.add(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D), bias) : tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D)) as tf.Tensor2D;
      return;
    }
    if (layer instanceof TransformerEncoder) {
      const r = layer.attend(h as tf.Tensor3D, { training, seed });
      h = r.output;
      scores.push(r.scores);
    } else if (cls === 'Dropout') {
      const rate = Number(layer.getConfig().rate);
      h = training && rate > 0 ? tf.dropout(h, rate, undefined, seed) : h;
    } else {
      if (cls === 'BatchNormalization') bnInputs.push(h);
      h = layer.apply(h, { training }) as tf.Tensor;
    }
    if (hiddenNames.has(layer.name)) hidden.push(h);
  });
  return { logits, features, hidden, scores, bnInputs };
}

/** The logits of a classifier (throws for a model without a dense output layer). */
export function logitsOf(model: tf.LayersModel, x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor2D {
  const { logits } = forward(model, x, opts);
  if (!logits) throw new Error(`model '${model.name}' has no dense output layer: it is an encoder, not a classifier`);
  return logits;
}

/** The moving mean and variance of each batch-norm layer, in model order. */
export function batchNormStatistics(model: tf.LayersModel): { name: string; mean: tf.Tensor; variance: tf.Tensor }[] {
  return modelLayers(model)
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .map((l) => {
      const find = (suffix: string) => {
        const w = l.weights.find((v) => v.originalName.endsWith(suffix));
        if (!w) throw new Error(`batch-norm layer '${l.name}' has no ${suffix}`);
        return w.read();
      };
      return { name: l.name, mean: find('moving_mean'), variance: find('moving_variance') };
    });
}
