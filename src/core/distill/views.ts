import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random';

/**
 * A fresh view of each image of a batch `[n, h, w, c]`: shifted by up to `jitter` pixels in each
 * direction (a crop of the zero-padded image, as a random crop with padding) and, with `flip`,
 * mirrored left-right with probability 1/2 — each image drawn on its own (from `rng`: reproducible
 * on resume). DeepInversion's own augmentation, carried into KD on its synthetic set so that
 * 2,048 inputs are not learnt by heart.
 */
export function randomViews(images: tf.Tensor4D, jitter: number, flip: boolean, rng: Rng): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w] = images.shape;
    let out = images;
    if (jitter > 0) {
      const padded = tf.pad(images, [[0, 0], [jitter, jitter], [jitter, jitter], [0, 0]]);
      const [H, W] = [h + 2 * jitter, w + 2 * jitter];
      const boxes = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) {
        const dy = rng.int(2 * jitter + 1);
        const dx = rng.int(2 * jitter + 1);
        // Corners at exact pixel centres: bilinear sampling then copies pixels unchanged.
        boxes.set([dy / (H - 1), dx / (W - 1), (dy + h - 1) / (H - 1), (dx + w - 1) / (W - 1)], i * 4);
      }
      out = tf.image.cropAndResize(padded, tf.tensor2d(boxes, [n, 4]), tf.range(0, n, 1, 'int32') as tf.Tensor1D, [h, w], 'bilinear');
    }
    if (flip) {
      const m = tf.tensor(Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0)), [n, 1, 1, 1]);
      out = tf.add(tf.mul(tf.reverse(out, 2), m), tf.mul(out, tf.sub(1, m)));
    }
    return out === images ? tf.clone(images) : out;
  });
}
