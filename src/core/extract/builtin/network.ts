import * as tf from '@tensorflow/tfjs';
import { charCnnParams, charEncode, type CharCnnConfig, type CharInput } from './charCnn';

/**
 * The two small networks of the built-in extractor, written as plain functions over named
 * tensors so the same code runs for training (tf.Variables) and inference (loaded tensors).
 *
 * - Tagger (one or an ensemble of several, see `taggerPrefix`): sum of sparse token-feature
 *   embeddings (optionally concatenated with a character CNN's word vector, `charCnn.ts`) ->
 *   three 1-D convolutions (kernels 5, 3, 3, ReLU, residual; they see +-4 tokens)
 *   -> optionally a bidirectional GRU over the whole sentence, projected and added back
 *   (residual) -> per-token BILOU tag logits (optionally the emissions of a CRF, `crf.ts`). The
 *   GRU is written with plain tf ops (a loop over time steps) so that it shares the masking and
 *   the named-weights layout of the rest; tfjs has no gradient for dilated convolutions, which
 *   would be the other way to see further.
 * - Relation classifier: sum of the candidate pair's feature embeddings -> ReLU layer ->
 *   logits over [none, relation types...]; types incompatible with the pair are masked.
 */
export type Params = Record<string, tf.Tensor>;

export interface TaggerShape {
  features: number;
  dim: number;
  hidden: number;
  tags: number;
  /** Add CRF transition/start/end scores (`<prefix>.crf.*`, see `crf.ts`). */
  crf?: boolean;
  /** Width per direction of a bidirectional GRU over the convolution output (`<prefix>.gru.*`; 0 or absent: none). */
  rnn?: number;
  /** Character CNN word encoder (`<prefix>.char.*`, `charCnn.ts`); its output widens the first convolution's input. */
  charCnn?: CharCnnConfig;
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
  const input = t.dim + (t.charCnn?.filters ?? 0);
  // Character embeddings: uniform +-sqrt(3 / dim) as in Ma & Hovy (2016).
  const charEmb = (shape: number[]) => tf.variable(tf.randomUniform(shape, -Math.sqrt(3 / shape[1]), Math.sqrt(3 / shape[1]), 'float32', s++));
  return {
    [`${prefix}.emb`]: tf.variable(tf.randomNormal([t.features, t.dim], 0, 0.05, 'float32', s++)),
    [`${prefix}.conv1.w`]: u([5, input, t.hidden], 5 * input, t.hidden),
    [`${prefix}.conv1.b`]: z([t.hidden]),
    [`${prefix}.conv2.w`]: u([3, t.hidden, t.hidden], 3 * t.hidden, t.hidden),
    [`${prefix}.conv2.b`]: z([t.hidden]),
    [`${prefix}.conv3.w`]: u([3, t.hidden, t.hidden], 3 * t.hidden, t.hidden),
    [`${prefix}.conv3.b`]: z([t.hidden]),
    [`${prefix}.out.w`]: u([t.hidden, t.tags], t.hidden, t.tags),
    [`${prefix}.out.b`]: z([t.tags]),
    ...(t.rnn ? gruParams(t.hidden, t.rnn, `${prefix}.gru.fw`, u, z) : {}),
    ...(t.rnn ? gruParams(t.hidden, t.rnn, `${prefix}.gru.bw`, u, z) : {}),
    ...(t.rnn ? { [`${prefix}.gru.out.w`]: u([2 * t.rnn, t.hidden], 2 * t.rnn, t.hidden) } : {}),
    ...(t.crf ? { [`${prefix}.crf.trans`]: z([t.tags, t.tags]), [`${prefix}.crf.start`]: z([t.tags]), [`${prefix}.crf.end`]: z([t.tags]) } : {}),
    // Drawn after all the other weights, so taggers without it keep their initial values per seed.
    ...(t.charCnn ? charCnnParams(t.charCnn, prefix, u, charEmb, z) : {}),
  };
}

/** One GRU direction: input weights `w` `[input, 3h]`, recurrent `u` `[h, 3h]`, bias `b` `[3h]` (gates z, r, n). */
function gruParams(
  input: number, h: number, name: string,
  u: (shape: number[], fanIn: number, fanOut: number) => tf.Variable, z: (shape: number[]) => tf.Variable,
): Record<string, tf.Variable> {
  return { [`${name}.w`]: u([input, 3 * h], input, h), [`${name}.u`]: u([h, 3 * h], h, h), [`${name}.b`]: z([3 * h]) };
}

/**
 * One direction of a GRU over `x` `[batch, length, input]`; `mask` `[batch, length]` (1 = token)
 * keeps the state unchanged over padding, so the backward direction starts at each sentence's
 * last real token. Returns `[batch, length, h]`.
 */
export function gru(x: tf.Tensor3D, mask: tf.Tensor2D, w: tf.Tensor, u: tf.Tensor, b: tf.Tensor, reverse: boolean): tf.Tensor3D {
  const [batch, length, input] = x.shape;
  const h3 = w.shape[1] as number;
  const size = h3 / 3;
  const xs = tf.unstack(x.reshape([batch * length, input]).matMul(w as tf.Tensor2D).add(b).reshape([batch, length, h3]), 1) as tf.Tensor2D[];
  const ms = tf.unstack(mask.expandDims(2), 1) as tf.Tensor2D[];
  let h: tf.Tensor2D = tf.zeros([batch, size]);
  const out = new Array<tf.Tensor2D>(length);
  for (let i = 0; i < length; i++) {
    const t = reverse ? length - 1 - i : i;
    const [xz, xr, xn] = tf.split(xs[t], 3, 1);
    const [hz, hr, hn] = tf.split(h.matMul(u as tf.Tensor2D), 3, 1);
    const zGate = tf.sigmoid(xz.add(hz));
    const rGate = tf.sigmoid(xr.add(hr));
    const n = tf.tanh(xn.add(rGate.mul(hn)));
    const next = n.add(zGate.mul(h.sub(n))) as tf.Tensor2D; // (1 - z) * n + z * h
    h = h.add(ms[t].mul(next.sub(h))) as tf.Tensor2D;
    out[t] = h;
  }
  return tf.stack(out, 1) as tf.Tensor3D;
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
/**
 * Sparse feature input of a network: either feature ids and mask `[n, k]` (looked up with
 * `tf.gather`, differentiable: training) or the already summed embeddings `[n, dim]`
 * (`embedBagValues`, computed in JavaScript: inference).
 */
export type BagInput = { ids: tf.Tensor2D; mask: tf.Tensor2D } | { sums: tf.Tensor2D };

function bagOf(emb: tf.Tensor, input: BagInput): tf.Tensor2D {
  return 'sums' in input ? input.sums : embedBag(emb, input.ids, input.mask);
}

/**
 * `embedBag` in plain JavaScript over the table's values: `[n * dim]` sums of the rows listed in
 * `ids` (`[n, k]`, mask 0 = padding). Inference uses it instead of `tf.gather`, whose wasm kernel
 * fix (`src/core/tensor/wasm/gatherV2.ts`) can return an unfilled output when allocating that
 * output grows the wasm heap (its index view is taken before the allocation); the first call
 * after loading a model is typically affected. It is also cheap: a few thousand row additions.
 */
export function embedBagValues(table: Float32Array, dim: number, ids: Int32Array, mask: Float32Array, k: number): Float32Array {
  const n = ids.length / k;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const m = mask[i * k + j];
      if (m === 0) continue;
      const row = ids[i * k + j] * dim;
      const o = i * dim;
      for (let d = 0; d < dim; d++) out[o + d] += m * table[row + d];
    }
  }
  return out;
}

export function embedBag(emb: tf.Tensor, ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  const [n, k] = ids.shape;
  const dim = emb.shape[1] as number;
  const rows = tf.gather(emb as tf.Tensor2D, ids.reshape([-1])).reshape([n, k, dim]);
  return rows.mul(mask.expandDims(2)).sum(1) as tf.Tensor2D;
}

/**
 * Tagger logits `[batch, length, tags]` for the features of `batch*length` positions, with the weights
 * named `<prefix>.*`; `lengths` (per sentence, padding at the end) tells the optional GRU where
 * each sentence ends. `seed` makes the dropout masks reproducible (each call of a training step
 * passes a fresh seed drawn from the run's seeded generator). `chars`: the characters of the
 * `batch*length` positions, required when the tagger has a character CNN (`<prefix>.char.*`).
 */
export function taggerLogits(
  p: Params, input: BagInput, batch: number, length: number, dropout = 0, prefix = 'tagger', seed?: number, lengths?: number[], chars?: CharInput,
): tf.Tensor3D {
  let k = 0;
  const drop = <T extends tf.Tensor>(x: T): T => (dropout > 0 ? (tf.dropout(x, dropout, undefined, seed === undefined ? undefined : seed + k++) as T) : x);
  const w = (name: string) => p[`${prefix}.${name}`];
  let bag = bagOf(w('emb'), input);
  if (p[`${prefix}.char.emb`]) {
    if (!chars) throw new Error('taggerLogits: this tagger has a character CNN and needs the characters');
    bag = tf.concat([bag, charEncode(p, prefix, chars)], 1);
  }
  const x = drop(bag.reshape([batch, length, -1]) as tf.Tensor3D);
  const h1 = tf.relu(tf.conv1d(x, w('conv1.w') as tf.Tensor3D, 1, 'same').add(w('conv1.b'))) as tf.Tensor3D;
  const h2 = tf.relu(tf.conv1d(drop(h1), w('conv2.w') as tf.Tensor3D, 1, 'same').add(w('conv2.b'))).add(h1) as tf.Tensor3D;
  const h3 = tf.relu(tf.conv1d(drop(h2), w('conv3.w') as tf.Tensor3D, 1, 'same').add(w('conv3.b'))).add(h2) as tf.Tensor3D;
  let top = h3;
  if (p[`${prefix}.gru.fw.w`]) {
    // Bidirectional GRU over the convolution features, projected back and added (residual).
    // Sentence lengths (padding at the end); without them, a position with any feature is a token (or, for summed input, every position).
    const tokenMask = lengths
      ? tf.tensor2d(lengths.flatMap((n) => Array.from({ length }, (_, t) => (t < n ? 1 : 0))), [batch, length])
      : 'mask' in input ? input.mask.sum(1).greater(0).toFloat().reshape([batch, length]) as tf.Tensor2D : tf.ones([batch, length]) as tf.Tensor2D;
    const seq = drop(h3);
    const fw = gru(seq, tokenMask, w('gru.fw.w'), w('gru.fw.u'), w('gru.fw.b'), false);
    const bw = gru(seq, tokenMask, w('gru.bw.w'), w('gru.bw.u'), w('gru.bw.b'), true);
    const both = tf.concat([fw, bw], 2);
    const size = both.shape[2];
    top = h3.add(both.reshape([-1, size]).matMul(w('gru.out.w') as tf.Tensor2D).reshape([batch, length, -1])) as tf.Tensor3D;
  }
  const h3d = drop(top);
  const hidden = h3d.shape[2];
  return h3d.reshape([-1, hidden]).matMul(w('out.w') as tf.Tensor2D).add(w('out.b')).reshape([batch, length, -1]) as tf.Tensor3D;
}

/** Relation logits `[pairs, classes]`; `allowed` is 1 where a class fits the pair's types, else 0. */
export function relationLogits(p: Params, input: BagInput, allowed: tf.Tensor2D, dropout = 0, seed?: number): tf.Tensor2D {
  let x = bagOf(p['rel.emb'], input);
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
