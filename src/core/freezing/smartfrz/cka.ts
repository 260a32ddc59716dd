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
  return gramSimilarity(k.dataSync() as Float32Array, l.dataSync() as Float32Array);
}

/**
 * Linear CKA from two centred Gram matrices read out of the backend (n x n, row-major):
 * <K, L>_F / (||K||_F ||L||_F), summed in float64 (the bounds it is compared with, up to
 * 0.99995, sit close to float32's rounding of such sums). 1 for the same representation (or one
 * rotated or scaled); 0 when either side is constant.
 */
export function gramSimilarity(k: Float32Array, l: Float32Array): number {
  if (k.length !== l.length) throw new Error(`Gram matrices of different sizes (${k.length} vs ${l.length})`);
  let dot = 0;
  let nk = 0;
  let nl = 0;
  for (let i = 0; i < k.length; i++) {
    dot += k[i] * l[i];
    nk += k[i] * k[i];
    nl += l[i] * l[i];
  }
  return nk > 0 && nl > 0 ? dot / Math.sqrt(nk * nl) : 0;
}
