import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { layerName } from '../experiment/layerName';
import type { LayerConfig, ModelConfig } from '../experiment/types';
import { modelLayers } from './flops';
import { loadModel } from './io';
import { PositionalEncoding } from './positionalEncoding';
import { TransformerEncoder } from './transformerEncoder';

export interface BuildOptions {
  /** Shape of one example (no batch dimension). */
  exampleShape: number[];
  inputDtype: 'float32' | 'int32';
  /** Seeds every initialiser, so two builds with the same seed have identical weights. */
  seed: number;
  /** Vocabulary size of text data: the default `inputDim` of embedding layers. */
  vocabSize?: number;
}

/**
 * Build the model an experiment describes: a linear chain of `tf.layers` (functional API, so
 * the input dtype can be int32 for token ids), layer names from the config (`layerName`).
 * With `from`, the saved model (an absolute path, resolved by the experiment loader) is
 * loaded and any configured `layers` are appended on top of its output (e.g. a new head).
 * Problems with the configuration are `UserError`s that point at the offending layer.
 */
export async function buildModel(cfg: ModelConfig, opts: BuildOptions): Promise<tf.LayersModel> {
  const layerCfgs = cfg.layers ?? [];
  let input: tf.SymbolicTensor;
  let x: tf.SymbolicTensor;
  let offset = 0;
  if (cfg.from !== undefined) {
    const base = await loadModel(cfg.from);
    const baseShape = base.inputs[0].shape.slice(1);
    if (JSON.stringify(baseShape) !== JSON.stringify(opts.exampleShape)) {
      throw new UserError(
        `the saved model expects examples of shape ${JSON.stringify(baseShape)}, the data has ${JSON.stringify(opts.exampleShape)}`,
        '/model/from',
      );
    }
    input = base.inputs[0];
    x = base.outputs[0];
    offset = base.layers.filter((l) => l.getClassName() !== 'InputLayer').length;
  } else {
    if (layerCfgs.length === 0) throw new UserError('the model needs at least one layer (or `from`)', '/model/layers');
    if (cfg.inputShape !== undefined && JSON.stringify(cfg.inputShape) !== JSON.stringify(opts.exampleShape)) {
      throw new UserError(
        `inputShape ${JSON.stringify(cfg.inputShape)} does not match the data's example shape ${JSON.stringify(opts.exampleShape)}`,
        '/model/inputShape',
      );
    }
    input = tf.input({ shape: opts.exampleShape, dtype: opts.inputDtype, name: 'input' });
    x = input;
  }
  layerCfgs.forEach((lc, i) => {
    const index = offset + i;
    const pointer = `/model/layers/${i}`;
    const layer = createLayer(lc, layerName(lc, index), opts.seed + 7919 * (index + 1), pointer, opts.vocabSize);
    try {
      x = layer.apply(x) as tf.SymbolicTensor;
    } catch (e) {
      throw new UserError(`layer '${layer.name}' cannot take input of shape ${JSON.stringify(x.shape)}: ${(e as Error).message}`, pointer);
    }
  });
  const model = tf.model({ inputs: input, outputs: x, name: 'model' });
  if (cfg.from !== undefined) assertChain(model);
  return model;
}

/**
 * The training loop runs layers one after another, so a saved model must be a single chain
 * (no branches or merges), which every model this project builds is.
 */
function assertChain(model: tf.LayersModel): void {
  const layers = modelLayers(model);
  layers.forEach((layer, i) => {
    const inbound = layer.inboundNodes;
    const from = inbound.length === 1 ? inbound[0].inboundLayers : [];
    const ok = from.length === 1 && (i === 0 ? from[0].getClassName() === 'InputLayer' : from[0] === layers[i - 1]);
    if (!ok) {
      throw new UserError(`the saved model is not a single chain of layers (at layer '${layer.name}'); only sequential models can be fine-tuned`, '/model/from');
    }
  });
}

function required(value: number | undefined, field: string, pointer: string): number {
  if (value === undefined) throw new UserError(`${field} is required for this layer type`, `${pointer}/${field}`);
  if (!(value > 0)) throw new UserError(`${field} must be positive, got ${value}`, `${pointer}/${field}`);
  return value;
}

/** One `tf.layers` layer for a layer config, with seeded initialisers. */
function createLayer(lc: LayerConfig, name: string, seed: number, pointer: string, vocabSize?: number): tf.layers.Layer {
  const glorot = (k = 0) => tf.initializers.glorotUniform({ seed: seed + k });
  const activation = lc.activation;
  switch (lc.type) {
    case 'dense':
      return tf.layers.dense({ name, units: required(lc.units, 'units', pointer), activation, kernelInitializer: glorot() });
    case 'conv2d':
      return tf.layers.conv2d({
        name,
        filters: required(lc.filters, 'filters', pointer),
        kernelSize: lc.kernelSize ?? required(undefined, 'kernelSize', pointer),
        strides: lc.strides,
        padding: lc.padding,
        activation,
        kernelInitializer: glorot(),
      });
    case 'maxPooling2d':
      return tf.layers.maxPooling2d({ name, poolSize: lc.poolSize ?? 2, strides: lc.strides, padding: lc.padding });
    case 'flatten':
      return tf.layers.flatten({ name });
    case 'dropout': {
      const rate = lc.rate ?? 0.5;
      if (!(rate >= 0 && rate < 1)) throw new UserError(`rate must be in [0, 1), got ${rate}`, `${pointer}/rate`);
      return tf.layers.dropout({ name, rate });
    }
    case 'batchNormalization':
      return tf.layers.batchNormalization({ name, momentum: lc.momentum, epsilon: lc.epsilon });
    case 'embedding':
      return tf.layers.embedding({
        name,
        inputDim: required(lc.inputDim ?? vocabSize, 'inputDim', pointer),
        outputDim: required(lc.outputDim, 'outputDim', pointer),
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
      });
    case 'transformerEncoder': {
      const rate = lc.rate ?? 0.1;
      if (!(rate >= 0 && rate < 1)) throw new UserError(`rate must be in [0, 1), got ${rate}`, `${pointer}/rate`);
      return new TransformerEncoder({
        name,
        numHeads: required(lc.numHeads ?? 2, 'numHeads', pointer),
        ffDim: required(lc.ffDim, 'ffDim', pointer),
        rate,
        epsilon: lc.epsilon,
        seed,
      });
    }
    case 'positionalEncoding':
      return new PositionalEncoding({ name });
    case 'globalAveragePooling1d':
      return tf.layers.globalAveragePooling1d({ name });
    default:
      throw new UserError(`unknown layer type '${(lc as { type: string }).type}'`, `${pointer}/type`);
  }
}
