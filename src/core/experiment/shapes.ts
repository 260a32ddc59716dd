import { layerName } from './layerName';
import type { LayerConfig } from './types';

/** Shape of one example (no batch dimension). */
export type Shape = number[];

export interface LayerShape {
  index: number;
  name: string;
  type: LayerConfig['type'];
  input: Shape;
  output: Shape;
}

export interface ShapeProblem {
  /** Index of the layer that cannot take its input. */
  layerIndex: number;
  /** JSON pointer: the layer, or the parameter at fault (e.g. `/model/layers/4/numHeads`). */
  pointer: string;
  message: string;
}

export interface ShapeInference {
  /** Shapes of the layers before the first problem (all layers when there is none). */
  layers: LayerShape[];
  /** Output of the last layer inferred. */
  output: Shape;
  problem?: ShapeProblem;
}

/**
 * Infer each layer's output shape from `inputShape`, in pure TypeScript, with the same rules
 * as the `tf.layers` the model is built from, so impossible models are reported in the
 * editor before any tensor is created. Stops at the first layer that cannot take its input.
 * `layersPointer` is where `layers` sits in the experiment (for the problem's pointer).
 */
export function inferShapes(inputShape: Shape, layers: LayerConfig[], layersPointer = '/model/layers'): ShapeInference {
  const out: LayerShape[] = [];
  let shape = inputShape.slice();
  for (let i = 0; i < layers.length; i++) {
    const cfg = layers[i];
    const result = layerOutputShape(cfg, shape);
    if (typeof result === 'string' || 'message' in result) {
      const { message, param } = typeof result === 'string' ? { message: result, param: undefined } : result;
      return {
        layers: out,
        output: shape,
        problem: { layerIndex: i, pointer: `${layersPointer}/${i}${param ? `/${param}` : ''}`, message },
      };
    }
    out.push({ index: i, name: layerName(cfg, i), type: cfg.type, input: shape, output: result });
    shape = result;
  }
  return { layers: out, output: shape };
}

type LayerResult = Shape | string | { message: string; param: string };

/** Output shape of one layer for `input`, or why the layer cannot take it. */
export function layerOutputShape(cfg: LayerConfig, input: Shape): LayerResult {
  const t = cfg.type;
  const got = `got ${fmt(input)}`;
  switch (t) {
    case 'dense': {
      // Like Keras: on a rank > 1 input the kernel applies to the last axis.
      if (input.length < 1) return `dense needs an input with at least one axis, ${got}`;
      return [...input.slice(0, -1), cfg.units ?? 0];
    }
    case 'conv2d': {
      if (input.length !== 3) return `conv2d needs a 3-D input [h, w, c], ${got}`;
      const [kh, kw] = pair(cfg.kernelSize ?? 1);
      const [sh, sw] = pair(cfg.strides ?? 1);
      const padding = cfg.padding ?? 'valid';
      const out: Shape = [window(input[0], kh, sh, padding), window(input[1], kw, sw, padding), cfg.filters ?? 0];
      if (out[0] <= 0 || out[1] <= 0) {
        return `conv2d kernel ${kh}x${kw} does not fit its ${input[0]}x${input[1]} input with padding "${padding}" (output would be ${fmt(out)})`;
      }
      return out;
    }
    case 'maxPooling2d': {
      if (input.length !== 3) return `maxPooling2d needs a 3-D input [h, w, c], ${got}`;
      const [ph, pw] = pair(cfg.poolSize ?? 2);
      const [sh, sw] = pair(cfg.strides ?? cfg.poolSize ?? 2);
      const padding = cfg.padding ?? 'valid';
      const out: Shape = [window(input[0], ph, sh, padding), window(input[1], pw, sw, padding), input[2]];
      if (out[0] <= 0 || out[1] <= 0) {
        return `maxPooling2d window ${ph}x${pw} does not fit its ${input[0]}x${input[1]} input with padding "${padding}" (output would be ${fmt(out)})`;
      }
      return out;
    }
    case 'flatten':
      if (input.length < 1) return `flatten needs an input with at least one axis, ${got}`;
      return [input.reduce((a, b) => a * b, 1)];
    case 'dropout':
    case 'batchNormalization':
      return input.slice();
    case 'embedding':
      if (input.length !== 1) return `embedding needs a 1-D input of token ids [length], ${got}`;
      return [input[0], cfg.outputDim ?? 0];
    case 'transformerEncoder': {
      if (input.length !== 2) return `transformerEncoder needs a 2-D input [length, dim], ${got}`;
      const heads = cfg.numHeads ?? 2;
      if (input[1] % heads !== 0) {
        return { message: `transformerEncoder: the input dimension ${input[1]} is not divisible by numHeads ${heads}`, param: 'numHeads' };
      }
      return input.slice();
    }
    case 'positionalEncoding':
      if (input.length !== 2) return `positionalEncoding needs a 2-D input [length, dim], ${got}`;
      return input.slice();
    case 'globalAveragePooling1d':
      if (input.length !== 2) return `globalAveragePooling1d needs a 2-D input [length, dim], ${got}`;
      return [input[1]];
    default:
      return `unknown layer type "${String(t)}"`;
  }
}

/** Output length of a sliding window, as in `tf.layers` (`valid` drops partial windows). */
function window(size: number, kernel: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

function pair(v: number | [number, number]): [number, number] {
  return Array.isArray(v) ? [v[0], v[1]] : [v, v];
}

function fmt(s: Shape): string {
  return `[${s.join(', ')}]`;
}
