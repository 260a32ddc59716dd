import * as tf from '@tensorflow/tfjs';
import { layerNorm } from './layerNorm';

/** Constructor arguments (also the serialised config, so saved models reload). */
export interface TransformerEncoderArgs {
  name?: string;
  numHeads: number;
  ffDim: number;
  /** Dropout rate on attention weights, attention output and feed-forward output. */
  rate?: number;
  epsilon?: number;
  /** Seed of the weight initialisers (reproducible runs). */
  seed?: number;
  trainable?: boolean;
}

/** Keyword arguments of `apply`/`call`: `seed` makes training-mode dropout reproducible. */
export interface TransformerEncoderCallArgs {
  training?: boolean;
  seed?: number;
}

/**
 * A post-norm transformer encoder block for `[batch, sequence, dModel]` inputs:
 * `x1 = LayerNorm(x + Dropout(MultiHeadSelfAttention(x)))`,
 * `y = LayerNorm(x1 + Dropout(W2 relu(W1 x1 + b1) + b2))`.
 *
 * Written with plain tf ops (tfjs-layers has no attention layer) and registered with
 * `tf.serialization`, so models containing it save and reload like any other.
 * Choices left open by the spec: no padding mask (token 0 is attended like any token; for the
 * small classifiers this block is meant for, the embedding learns a near-neutral PAD vector)
 * and no position information of its own (attention is order-insensitive: put a
 * `positionalEncoding` layer between the embedding and the first block).
 * Dropout in training mode takes a per-call `seed`, because a seed fixed in the config would
 * draw the same mask at every step.
 */
export class TransformerEncoder extends tf.layers.Layer {
  static readonly className = 'TransformerEncoder';

  readonly numHeads: number;
  readonly ffDim: number;
  readonly rate: number;
  readonly epsilon: number;
  readonly seed: number | undefined;

  private weightsByName = new Map<string, tf.LayerVariable>();

  constructor(args: TransformerEncoderArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.numHeads = args.numHeads;
    this.ffDim = args.ffDim;
    this.rate = args.rate ?? 0;
    this.epsilon = args.epsilon ?? 1e-6;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 3) {
      throw new Error(`transformerEncoder expects [batch, sequence, features] inputs, got ${JSON.stringify(shape)}`);
    }
    const d = shape[2];
    if (d == null) throw new Error('transformerEncoder needs a known feature size');
    if (d % this.numHeads !== 0) {
      throw new Error(`feature size ${d} is not divisible by numHeads ${this.numHeads}`);
    }
    let k = 0;
    const glorot = () => tf.initializers.glorotUniform({ seed: this.seed === undefined ? undefined : this.seed + 101 * ++k });
    const add = (name: string, shape: number[], init: ReturnType<typeof tf.initializers.zeros>) =>
      this.weightsByName.set(name, this.addWeight(name, shape, 'float32', init));
    for (const p of ['query', 'key', 'value', 'output']) {
      add(`${p}_kernel`, [d, d], glorot());
      add(`${p}_bias`, [d], tf.initializers.zeros());
    }
    add('ln1_gamma', [d], tf.initializers.ones());
    add('ln1_beta', [d], tf.initializers.zeros());
    add('ff1_kernel', [d, this.ffDim], glorot());
    add('ff1_bias', [this.ffDim], tf.initializers.zeros());
    add('ff2_kernel', [this.ffDim, d], glorot());
    add('ff2_bias', [d], tf.initializers.zeros());
    add('ln2_gamma', [d], tf.initializers.ones());
    add('ln2_beta', [d], tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: TransformerEncoderCallArgs): tf.Tensor {
    return tf.tidy(() => {
      const { output, scores } = this.attend((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D, kwargs);
      scores.dispose();
      return output;
    });
  }

  /**
   * The block's forward pass that also returns its attention scores: the unnormalised
   * `Q K^T / sqrt(headDim)`, `[batch, heads, sequence, sequence]`, before the softmax (what
   * TinyBERT's attention loss compares). Same weights and result as `apply`; gradients flow
   * through both outputs. Call it on concrete tensors (e.g. inside a training step).
   */
  attend(x: tf.Tensor3D, kwargs: TransformerEncoderCallArgs = {}): { output: tf.Tensor3D; scores: tf.Tensor4D } {
    if (!this.built) this.build(x.shape);
    return tf.tidy(() => {
      const training = kwargs?.training === true && this.rate > 0;
      const seed = kwargs?.seed;
      let dropCount = 0;
      const drop = (t: tf.Tensor): tf.Tensor =>
        training ? tf.dropout(t, this.rate, undefined, seed === undefined ? undefined : seed * 4 + ++dropCount) : t;
      const w = (name: string) => this.weightsByName.get(name)!.read();
      const [b, s, d] = x.shape;
      const h = this.numHeads;
      const hd = d / h;
      const dense2d = (t: tf.Tensor2D, p: string): tf.Tensor2D =>
        tf.add(tf.matMul(t, w(`${p}_kernel`) as tf.Tensor2D), w(`${p}_bias`));
      const flat = tf.reshape(x, [b * s, d]) as tf.Tensor2D;
      const heads = (p: string): tf.Tensor4D =>
        tf.transpose(tf.reshape(dense2d(flat, p), [b, s, h, hd]), [0, 2, 1, 3]);
      const q = heads('query');
      const k = heads('key');
      const v = heads('value');
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)) as tf.Tensor4D;
      const attn = drop(tf.softmax(scores)) as tf.Tensor4D;
      const ctx = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [b * s, d]) as tf.Tensor2D;
      const attnOut = drop(dense2d(ctx, 'output'));
      const x1 = layerNorm(tf.add(flat, attnOut), w('ln1_gamma'), w('ln1_beta'), this.epsilon);
      const ff = dense2d(tf.relu(dense2d(x1, 'ff1')) as tf.Tensor2D, 'ff2');
      const y = layerNorm(tf.add(x1, drop(ff)), w('ln2_gamma'), w('ln2_beta'), this.epsilon);
      return { output: tf.reshape(y, [b, s, d]) as tf.Tensor3D, scores };
    });
  }

  /** Weight order as created in `build` (for FLOPs and for choosing the "main" kernel). */
  weightNames(): string[] {
    return [...this.weightsByName.keys()];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      numHeads: this.numHeads,
      ffDim: this.ffDim,
      rate: this.rate,
      epsilon: this.epsilon,
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...super.getConfig(), ...config };
  }
}

tf.serialization.registerClass(TransformerEncoder);
