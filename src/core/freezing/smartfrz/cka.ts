import * as tf from '@tensorflow/tfjs';

/**
 * Linear CKA (Kornblith et al. 2019) between two representations of the same n examples:
 * CKA(X, Y) = <K, L>_F / (||K||_F ||L||_F) with K = Xc Xc^T, L = Yc Yc^T (column-centred X, Y).
 * The Gram (n x n) form is used because layer outputs (conv feature maps) are often much wider
 * than the probe batch. Rows are examples; any trailing dimensions are flattened.
 * Returns 1 for identical representations; invariant to orthogonal transforms and isotropic
 * scaling of either side. 0 when either side is constant.
 */
export function linearCka(x: tf.Tensor, y: tf.Tensor): number {
  if (x.shape[0] !== y.shape[0]) throw new Error(`CKA needs the same examples on both sides (${x.shape[0]} vs ${y.shape[0]})`);
  const k = centeredGram(x);
  const l = centeredGram(y);
  const r = ckaFromGrams(k, l);
  tf.dispose([k, l]);
  return r;
}

/** Xc Xc^T for the column-centred, row-flattened X: the n x n Gram matrix CKA compares. */
export function centeredGram(x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const m = x.reshape([x.shape[0], -1]) as tf.Tensor2D;
    const c = tf.sub(m, tf.mean(m, 0, true)) as tf.Tensor2D;
    return tf.matMul(c, c, false, true);
  });
}

/** Linear CKA from two `centeredGram`s of the same examples (lets callers keep only Grams). */
export function ckaFromGrams(k: tf.Tensor2D, l: tf.Tensor2D): number {
  const [dot, nk, nl] = tf.tidy(() => [tf.sum(tf.mul(k, l)), tf.norm(k), tf.norm(l)]);
  const [d, a, b] = [dot.dataSync()[0], nk.dataSync()[0], nl.dataSync()[0]];
  tf.dispose([dot, nk, nl]);
  return a > 0 && b > 0 ? d / (a * b) : 0;
}
