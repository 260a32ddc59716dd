import type * as tf from '@tensorflow/tfjs';

/**
 * Per-example cost of one model layer, in FLOPs (a multiply-add counts 2).
 * Backward = weight gradient + input gradient. For matmul-like layers each is about the
 * forward cost, so backward ~ 2x forward. Elementwise work (bias, activation, normalisation)
 * is counted roughly; matmuls and convolutions dominate every model this project builds.
 */
export interface LayerCost {
  name: string;
  /** tfjs class name, e.g. `Dense`, `Conv2D`, `TransformerEncoder`. */
  className: string;
  /** Trainable parameter count. */
  params: number;
  /** Whether the layer has trainable weights (a freezable unit). */
  weighted: boolean;
  forward: number;
  /** Gradient with respect to the layer's weights (0 for weightless layers). */
  backwardWeights: number;
  /** Gradient with respect to the layer's input (0 when the input is integer token ids). */
  backwardInput: number;
}

/** The model's layers in order, without the InputLayer (indices match the experiment's `layers`). */
export function modelLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

const prod = (xs: (number | null)[]) => xs.reduce<number>((a, b) => a * (b ?? 1), 1);

function shapeOf(s: tf.Shape | tf.Shape[]): (number | null)[] {
  return (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
}

/** A built layer's input shape (from its input symbolic tensor; tfjs types omit `inputShape`). */
function inputShapeOf(layer: tf.layers.Layer): tf.Shape | tf.Shape[] {
  const input = layer.input as tf.SymbolicTensor | tf.SymbolicTensor[];
  return Array.isArray(input) ? input.map((t) => t.shape) : input.shape;
}

/** Costs of every layer of `model` (see `LayerCost`). */
export function layerCosts(model: tf.LayersModel): LayerCost[] {
  return modelLayers(model).map((layer) => {
    const inShape = shapeOf(inputShapeOf(layer)).slice(1);
    const outShape = shapeOf(layer.outputShape).slice(1);
    const inSize = prod(inShape);
    const outSize = prod(outShape);
    const params = layer.trainableWeights.reduce((n, w) => n + prod(w.shape), 0);
    const className = layer.getClassName();
    const cost: LayerCost = { name: layer.name, className, params, weighted: params > 0, forward: 0, backwardWeights: 0, backwardInput: 0 };
    const cfg = layer.getConfig();
    switch (className) {
      case 'Dense': {
        const mm = 2 * inSize * (outShape[outShape.length - 1] ?? 1);
        cost.forward = mm + 2 * outSize;
        cost.backwardWeights = mm + outSize;
        cost.backwardInput = mm + outSize;
        break;
      }
      case 'Conv2D': {
        const [kh, kw] = (cfg.kernelSize as number[]) ?? [1, 1];
        const cin = inShape[2] ?? 1;
        const mm = 2 * kh * kw * cin * outSize;
        cost.forward = mm + 2 * outSize;
        cost.backwardWeights = mm + outSize;
        cost.backwardInput = mm + outSize;
        break;
      }
      case 'Embedding':
        // A gather forward, a scatter-add of the output gradient backward; ids have no gradient.
        cost.forward = outSize;
        cost.backwardWeights = outSize;
        cost.backwardInput = 0;
        break;
      case 'BatchNormalization':
        cost.forward = 5 * outSize;
        cost.backwardWeights = 2 * outSize;
        cost.backwardInput = 5 * outSize;
        break;
      case 'TransformerEncoder': {
        const [s, d] = [inShape[0] ?? 1, inShape[1] ?? 1];
        const ff = cfg.ffDim as number;
        const heads = cfg.numHeads as number;
        const projections = 4 * 2 * s * d * d + 2 * 2 * s * d * ff;
        const attention = 2 * (2 * s * s * d);
        const elementwise = 5 * heads * s * s + 20 * s * d + 2 * s * ff;
        cost.forward = projections + attention + elementwise;
        cost.backwardWeights = projections + 6 * s * d;
        cost.backwardInput = projections + 2 * attention + elementwise;
        break;
      }
      case 'MaxPooling2D': {
        const pool = (cfg.poolSize as number[]) ?? [2, 2];
        cost.forward = outSize * pool[0] * pool[1];
        cost.backwardInput = inSize;
        break;
      }
      case 'Flatten':
      case 'Reshape':
      case 'InputLayer':
        break;
      default:
        // Dropout, pooling and other elementwise layers: about one FLOP per value each way.
        cost.forward = Math.max(inSize, outSize);
        cost.backwardInput = Math.max(inSize, outSize);
    }
    return cost;
  });
}

/**
 * Backward FLOPs per example of one training step when layers `from..end` are trained and
 * layers before `from` are frozen: weight gradients of every weighted layer from `from` on,
 * and input gradients only of layers that have a trainable weighted layer before them
 * (the first trainable layer needs no input gradient; nothing flows into the frozen prefix).
 */
export function backwardFlopsFrom(costs: LayerCost[], from: number): number {
  let total = 0;
  let seenWeighted = false;
  for (let l = from; l < costs.length; l++) {
    const c = costs[l];
    if (seenWeighted) total += c.backwardInput;
    if (c.weighted) {
      total += c.backwardWeights;
      seenWeighted = true;
    }
  }
  return total;
}

/** Forward FLOPs per example of layers `from..end`. */
export function forwardFlopsFrom(costs: LayerCost[], from: number): number {
  let total = 0;
  for (let l = from; l < costs.length; l++) total += costs[l].forward;
  return total;
}

/**
 * Backward FLOPs per example that layer `l` costs in a full (unfrozen) step: its weight
 * gradient, plus its input gradient unless no weighted layer precedes it.
 */
export function layerBackwardInFullStep(costs: LayerCost[], l: number): number {
  const anyWeightedBefore = costs.slice(0, l).some((c) => c.weighted);
  return (costs[l].weighted ? costs[l].backwardWeights : 0) + (anyWeightedBefore ? costs[l].backwardInput : 0);
}
