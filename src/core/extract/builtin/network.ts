import * as tf from '@tensorflow/tfjs';

/**
 * The two small networks of the built-in extractor, written as plain functions over named
 * tensors so the same code runs for training (tf.Variables) and inference (loaded tensors).
 *
 * - Tagger (one or an ensemble of several, see `taggerPrefix`): sum of sparse token-feature embeddings -> three 1-D convolutions (kernels 5, 3, 3,
 *   ReLU, residual) -> per-token BILOU tag logits. Convolutions rather than a BiLSTM because
 *   they train in minutes on CPU backends and see +-4 tokens, enough for CoNLL04. (Dilated
 *   convolutions would see further, but tfjs has no gradient for dilation > 1.)
 * - Relation classifier: sum of the candidate pair's feature embeddings -> ReLU layer ->
 *   logits over [none, relation types...]; types incompatible with the pair are masked.
 */
export type Params = Record<string, tf.Tensor>;

export interface TaggerShape {
  features: number;
  dim: number;
  hidden: number;
  tags: number;
}

export interface RelationShape {
  features: number;
  dim: number;
  hidden: number;
  /** Relation types + 1 ("none" is class 0). */
  classes: number;
}

/** Glorot-uniform initial values for the tagger (`tagger.*`) and relation (`rel.*`) networks. */
export function initialParams(t: TaggerShape, r: RelationShape, seed: number): Record<string, tf.Variable> {
  return { ...initialTaggerParams(t, seed, 'tagger'), ...initialRelationParams(r, seed + 100) };
}

/**
 * Parameter name prefix of ensemble member `m`: `tagger` for the first (so single-tagger
 * models keep their names), `tagger2`, `tagger3`, ... for the others.
 */
export function taggerPrefix(member: number): string {
  return member === 0 ? 'tagger' : `tagger${member + 1}`;
}

/** Glorot-uniform initial values of one tagger, named `<prefix>.*`. */
export function initialTaggerParams(t: TaggerShape, seed: number, prefix: string): Record<string, tf.Variable> {
  let s = seed;
  const u = (shape: number[], fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', s++));
  };
  const z = (shape: number[]) => tf.variable(tf.zeros(shape));
  return {
    [`${prefix}.emb`]: tf.variable(tf.randomNormal([t.features, t.dim], 0, 0.05, 'float32', s++)),
    [`${prefix}.conv1.w`]: u([5, t.dim, t.hidden], 5 * t.dim, t.hidden),
    [`${prefix}.conv1.b`]: z([t.hidden]),
    [`${prefix}.conv2.w`]: u([3, t.hidden, t.hidden], 3 * t.hidden, t.hidden),
    [`${prefix}.conv2.b`]: z([t.hidden]),
    [`${prefix}.conv3.w`]: u([3, t.hidden, t.hidden], 3 * t.hidden, t.hidden),
    [`${prefix}.conv3.b`]: z([t.hidden]),
    [`${prefix}.out.w`]: u([t.hidden, t.tags], t.hidden, t.tags),
    [`${prefix}.out.b`]: z([t.tags]),
  };
}

function initialRelationParams(r: RelationShape, seed: number): Record<string, tf.Variable> {
  let s = seed;
  const u = (shape: number[], fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', s++));
  };
  const z = (shape: number[]) => tf.variable(tf.zeros(shape));
  return {
    'rel.emb': tf.variable(tf.randomNormal([r.features, r.dim], 0, 0.05, 'float32', s++)),
    'rel.hidden.w': u([r.dim, r.hidden], r.dim, r.hidden),
    'rel.hidden.b': z([r.hidden]),
    'rel.out.w': u([r.hidden, r.classes], r.hidden, r.classes),
    'rel.out.b': z([r.classes]),
  };
}

/**
 * Sum of embedding rows: `ids`/`mask` are `[n, k]` (mask 0 for padding slots) -> `[n, dim]`.
 */
export function embedBag(emb: tf.Tensor, ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  const [n, k] = ids.shape;
  const dim = emb.shape[1] as number;
  const rows = tf.gather(emb as tf.Tensor2D, ids.reshape([-1])).reshape([n, k, dim]);
  return rows.mul(mask.expandDims(2)).sum(1) as tf.Tensor2D;
}

/**
 * Tagger logits `[batch, length, tags]` for feature ids `[batch*length, k]`, with the weights
 * named `<prefix>.*`. `seed` makes the dropout masks reproducible (each call of a training step
 * passes a fresh seed drawn from the run's seeded generator).
 */
export function taggerLogits(
  p: Params, ids: tf.Tensor2D, mask: tf.Tensor2D, batch: number, length: number, dropout = 0, prefix = 'tagger', seed?: number,
): tf.Tensor3D {
  let k = 0;
  const drop = <T extends tf.Tensor>(x: T): T => (dropout > 0 ? (tf.dropout(x, dropout, undefined, seed === undefined ? undefined : seed + k++) as T) : x);
  const w = (name: string) => p[`${prefix}.${name}`];
  const x = drop(embedBag(w('emb'), ids, mask).reshape([batch, length, -1]) as tf.Tensor3D);
  const h1 = tf.relu(tf.conv1d(x, w('conv1.w') as tf.Tensor3D, 1, 'same').add(w('conv1.b'))) as tf.Tensor3D;
  const h2 = tf.relu(tf.conv1d(drop(h1), w('conv2.w') as tf.Tensor3D, 1, 'same').add(w('conv2.b'))).add(h1) as tf.Tensor3D;
  const h3 = tf.relu(tf.conv1d(drop(h2), w('conv3.w') as tf.Tensor3D, 1, 'same').add(w('conv3.b'))).add(h2) as tf.Tensor3D;
  const h3d = drop(h3);
  const hidden = h3d.shape[2];
  return h3d.reshape([-1, hidden]).matMul(w('out.w') as tf.Tensor2D).add(w('out.b')).reshape([batch, length, -1]) as tf.Tensor3D;
}

/** Relation logits `[pairs, classes]`; `allowed` is 1 where a class fits the pair's types, else 0. */
export function relationLogits(p: Params, ids: tf.Tensor2D, mask: tf.Tensor2D, allowed: tf.Tensor2D, dropout = 0, seed?: number): tf.Tensor2D {
  let x = embedBag(p['rel.emb'], ids, mask);
  if (dropout > 0) x = tf.dropout(x, dropout, undefined, seed) as tf.Tensor2D;
  let h = tf.relu(x.matMul(p['rel.hidden.w'] as tf.Tensor2D).add(p['rel.hidden.b'])) as tf.Tensor2D;
  if (dropout > 0) h = tf.dropout(h, dropout, undefined, seed === undefined ? undefined : seed + 1) as tf.Tensor2D;
  const logits = h.matMul(p['rel.out.w'] as tf.Tensor2D).add(p['rel.out.b']) as tf.Tensor2D;
  return logits.add(tf.scalar(1).sub(allowed).mul(-1e9)) as tf.Tensor2D;
}

/** Pack ragged id lists into `[n, k]` id and mask arrays (k = longest list, at least 1). */
export function packIds(lists: number[][]): { ids: Int32Array; mask: Float32Array; k: number } {
  const k = Math.max(1, ...lists.map((l) => l.length));
  const ids = new Int32Array(lists.length * k);
  const mask = new Float32Array(lists.length * k);
  lists.forEach((l, i) => l.forEach((id, j) => { ids[i * k + j] = id; mask[i * k + j] = 1; }));
  return { ids, mask, k };
}
