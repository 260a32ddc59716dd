import * as tf from '@tensorflow/tfjs';

/**
 * Adds the fixed sinusoidal position signal of "Attention Is All You Need" to a
 * `[batch, sequence, dModel]` input: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...).
 * Self-attention is blind to order without it. No weights, so nothing to learn or freeze, and it
 * works for any sequence length; registered with `tf.serialization` so saved models reload.
 */
export class PositionalEncoding extends tf.layers.Layer {
  static readonly className = 'PositionalEncoding';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name, trainable: false });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 3) {
      throw new Error(`positionalEncoding expects [batch, sequence, features] inputs, got ${JSON.stringify(shape)}`);
    }
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [, s, d] = x.shape;
      return tf.add(x, tf.tensor2d(sinusoidalPositions(s, d), [s, d]));
    });
  }
}

/** The [length, d] sinusoidal table, row-major. */
export function sinusoidalPositions(length: number, d: number): Float32Array {
  const table = new Float32Array(length * d);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < d; i++) {
      const angle = p / Math.pow(10000, (2 * Math.floor(i / 2)) / d);
      table[p * d + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

tf.serialization.registerClass(PositionalEncoding);
