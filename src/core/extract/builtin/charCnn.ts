import * as tf from '@tensorflow/tfjs';

/**
 * Character-level CNN word encoder of the built-in tagger (the "CNN" of BiLSTM-CNN-CRF, Ma & Hovy
 * 2016): each token's characters (with begin/end markers) are embedded, one 1-D convolution of
 * width 3 with ReLU runs over them, and the maximum over the word's positions gives one vector
 * per token, concatenated to the summed sparse features before the tagger's convolutions. The
 * sparse features only name trigrams, affixes and shape; the CNN learns which character patterns
 * matter (e.g. inside dates, acronyms, hyphenated names) and shares them across similar words.
 *
 * Weights per tagger: `<prefix>.char.emb` `[chars, dim]`, `<prefix>.char.w` `[3, dim, filters]`,
 * `<prefix>.char.b` `[filters]`. The character vocabulary is stored in the model
 * (`ExtractorMeta.tagger.charCnn.chars`).
 */

/** Stored in the model config: the encoder's sizes and its character vocabulary. */
export interface CharCnnConfig {
  /** Characters with their own embedding, from id `FIRST_CHAR` on (ids 0-3: padding, unknown, begin, end). */
  chars: string[];
  dim: number;
  filters: number;
}

const PAD = 0;
const UNKNOWN = 1;
const BEGIN = 2;
const END = 3;
const FIRST_CHAR = 4;
/** Longer words keep their first and last `MAX_CHARS / 2` characters (the informative ends). */
export const MAX_CHARS = 20;
export const CHAR_KERNEL = 3;

/** Characters (code points, case kept) seen at least `minCount` times in the tokens, most frequent first. */
export function buildCharVocab(tokens: Iterable<string>, minCount = 2): string[] {
  const counts = new Map<string, number>();
  for (const t of tokens) for (const c of t) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
}

/** Character id lookup of a config (`charIds` takes it). */
export function charIndex(config: CharCnnConfig): Map<string, number> {
  return new Map(config.chars.map((c, i) => [c, i + FIRST_CHAR]));
}

export function charVocabSize(config: CharCnnConfig): number {
  return config.chars.length + FIRST_CHAR;
}

/**
 * Character ids and mask `[n, width]` of `n` positions (`null` = padding position, all zero),
 * `width` = longest word + 2 markers in the batch.
 */
export function charIds(tokens: (string | null)[], index: Map<string, number>): { ids: Int32Array; mask: Float32Array; width: number } {
  const seqs = tokens.map((t) => {
    if (t === null) return [] as number[];
    let cs = [...t];
    if (cs.length > MAX_CHARS) cs = [...cs.slice(0, MAX_CHARS / 2), ...cs.slice(-MAX_CHARS / 2)];
    return [BEGIN, ...cs.map((c) => index.get(c) ?? UNKNOWN), END];
  });
  const width = Math.max(CHAR_KERNEL, ...seqs.map((s) => s.length));
  const ids = new Int32Array(tokens.length * width).fill(PAD);
  const mask = new Float32Array(tokens.length * width);
  seqs.forEach((s, i) => s.forEach((id, j) => { ids[i * width + j] = id; mask[i * width + j] = 1; }));
  return { ids, mask, width };
}

/**
 * Input of the encoder: ids looked up with `tf.gather` (differentiable: training), or the rows
 * already looked up in JavaScript (`charEmbedValues`: inference, which avoids `tf.gather`, see
 * `embedBagValues` in `network.ts`). `mask` `[n, width]`.
 */
export type CharInput = { ids: tf.Tensor2D; mask: tf.Tensor2D } | { values: tf.Tensor3D; mask: tf.Tensor2D };

/** `[n * width * dim]` embedding rows of `ids` from the table's values. */
export function charEmbedValues(table: Float32Array, dim: number, ids: Int32Array): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i] * dim, ids[i] * dim + dim), i * dim);
  return out;
}

/** Glorot-uniform initial weights (`u`) of one tagger's encoder. */
export function charCnnParams(
  config: CharCnnConfig, prefix: string,
  u: (shape: number[], fanIn: number, fanOut: number) => tf.Variable, normal: (shape: number[]) => tf.Variable, z: (shape: number[]) => tf.Variable,
): Record<string, tf.Variable> {
  return {
    [`${prefix}.char.emb`]: normal([charVocabSize(config), config.dim]),
    [`${prefix}.char.w`]: u([CHAR_KERNEL, config.dim, config.filters], CHAR_KERNEL * config.dim, config.filters),
    [`${prefix}.char.b`]: z([config.filters]),
  };
}

/** One vector per position `[n, filters]` (zeros for padding positions). */
export function charEncode(p: Record<string, tf.Tensor>, prefix: string, input: CharInput): tf.Tensor2D {
  const emb = p[`${prefix}.char.emb`];
  const dim = emb.shape[1] as number;
  const [n, width] = input.mask.shape;
  const mask = input.mask.expandDims(2);
  const rows = 'ids' in input ? tf.gather(emb as tf.Tensor2D, input.ids.reshape([-1])) : input.values;
  // Padding characters embed to zero, as the convolution's own 'same' padding does.
  const e = rows.reshape([n, width, dim]).mul(mask) as tf.Tensor3D;
  const h = tf.relu(tf.conv1d(e, p[`${prefix}.char.w`] as tf.Tensor3D, 1, 'same').add(p[`${prefix}.char.b`])).mul(mask);
  // ReLU outputs are >= 0, so the masked (zero) positions never exceed a real one's maximum.
  return h.max(1) as tf.Tensor2D;
}
