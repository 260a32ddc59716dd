import * as tf from '@tensorflow/tfjs';
import { createRng } from '../util/random';

/**
 * Networks of the diffusion lab written with plain tf ops over a record of named tensors, so a
 * `TrainingSession` variable set (`addVariables`) holds them, its copies (EMA, target) are made
 * by the session, and any network can be called with the copy's weights directly.
 * Initialisation is seeded (Glorot uniform weights, zero biases): same seed, same network.
 */
export type Params = Record<string, tf.Tensor>;

/** Collects the initial tensors of a network, each seeded from one seed and its name's order. */
export class ParamInit {
  readonly params: Params = {};
  private readonly rng;
  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  /** A dense layer `name`: `${name}/w` [fanIn, fanOut] and `${name}/b` [fanOut]. */
  dense(name: string, fanIn: number, fanOut: number, gain = 1): void {
    const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
    this.add(`${name}/w`, tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', this.rng.int(2 ** 31 - 1)));
    this.add(`${name}/b`, tf.zeros([fanOut]));
  }

  /** A square-kernel convolution `name`: `${name}/w` [k, k, cin, cout] and `${name}/b` [cout]. */
  conv(name: string, k: number, cin: number, cout: number, gain = 1): void {
    const limit = gain * Math.sqrt(6 / (k * k * (cin + cout)));
    this.add(`${name}/w`, tf.randomUniform([k, k, cin, cout], -limit, limit, 'float32', this.rng.int(2 ** 31 - 1)));
    this.add(`${name}/b`, tf.zeros([cout]));
  }

  /** An embedding table `name` [count, dim] with N(0, 1/dim) entries. */
  embedding(name: string, count: number, dim: number): void {
    this.add(name, tf.randomNormal([count, dim], 0, 1 / Math.sqrt(dim), 'float32', this.rng.int(2 ** 31 - 1)));
  }

  private add(name: string, t: tf.Tensor): void {
    if (name in this.params) throw new Error(`parameter '${name}' defined twice`);
    this.params[name] = t;
  }
}

export function dense(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  return tf.add(tf.matMul(x as tf.Tensor2D, need(p, `${name}/w`) as tf.Tensor2D), need(p, `${name}/b`));
}

export function conv(p: Params, name: string, x: tf.Tensor, stride = 1): tf.Tensor4D {
  return tf.add(tf.conv2d(x as tf.Tensor4D, need(p, `${name}/w`) as tf.Tensor4D, stride, 'same'), need(p, `${name}/b`)) as tf.Tensor4D;
}

/** Mish (Misra 2019), x tanh(softplus(x)): the activation of Diffusion-QL's networks. */
export function mish(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.tanh(tf.softplus(x)));
}

/** SiLU / swish, x sigmoid(x): the activation of DDPM-style U-Nets. */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * Sinusoidal embedding of integer timesteps (Vaswani et al.; as DDPM and Diffusion-QL's
 * `SinusoidalPosEmb`): [sin(t f_i), cos(t f_i)], f_i = 10000^(-i / (half - 1)). Computed on the
 * host: timesteps are not differentiated.
 */
export function timestepEmbedding(t: ArrayLike<number>, dim: number): tf.Tensor2D {
  if (dim < 4 || dim % 2 !== 0) throw new RangeError(`time embedding size must be an even number >= 4, got ${dim}`);
  const half = dim / 2;
  const out = new Float32Array(t.length * dim);
  const scale = Math.log(10000) / (half - 1);
  for (let i = 0; i < t.length; i++) {
    for (let j = 0; j < half; j++) {
      const a = t[i] * Math.exp(-scale * j);
      out[i * dim + j] = Math.sin(a);
      out[i * dim + half + j] = Math.cos(a);
    }
  }
  return tf.tensor2d(out, [t.length, dim]);
}

/** Number of scalars in a set of parameters. */
export function parameterCount(p: Params): number {
  return Object.values(p).reduce((n, t) => n + t.size, 0);
}

function need(p: Params, name: string): tf.Tensor {
  const t = p[name];
  if (!t) throw new Error(`missing parameter '${name}'`);
  return t;
}
