import { PAD_ID } from '../../data/textVocab';
import type { Rng } from '../../util/random';

/** A batch of token ids with some positions hidden for masked-language modelling. */
export interface MaskedBatch {
  /** The ids the encoder sees (selected positions replaced by the 80/10/10 rule). */
  input: Int32Array;
  /** Flat indices (`row * length + position`) of the selected positions, ascending. */
  positions: Int32Array;
  /** The original id at each selected position: what the model must predict. */
  targets: Int32Array;
}

export interface MaskingOptions {
  /** Share of the real (non-padding) tokens selected for prediction (BERT: 0.15). */
  probability: number;
  /** Id of the `[MASK]` token (the vocabulary's size: one row after the last word). */
  maskId: number;
  /** Ids of real words are 2..vocabSize-1 (0 = [PAD], 1 = [UNK]): where random replacements come from. */
  vocabSize: number;
}

/**
 * BERT's masking (Devlin et al. 2019, section 3.1): each real token is selected with
 * `probability`; a selected token becomes `[MASK]` 80% of the time, a random word 10%, and stays
 * itself 10%; the loss is taken at the selected positions only. Padding is never selected (our
 * encoder has no padding mask: predicting [PAD] would teach nothing). A batch in which no token
 * was drawn gets one (a uniformly chosen real token), so every step has a loss. Draws come from
 * `rng` only, so a session that checkpoints its generator masks the same way after a resume.
 */
export function maskTokens(x: Int32Array, rows: number, length: number, opts: MaskingOptions, rng: Rng): MaskedBatch {
  if (!(opts.probability > 0 && opts.probability <= 1)) throw new RangeError(`mask probability must be in (0, 1], got ${opts.probability}`);
  if (x.length !== rows * length) throw new RangeError(`expected ${rows} x ${length} token ids, got ${x.length}`);
  const input = Int32Array.from(x);
  const positions: number[] = [];
  const real: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (x[i] === PAD_ID) continue;
    real.push(i);
    if (rng.next() < opts.probability) positions.push(i);
  }
  if (positions.length === 0 && real.length > 0) positions.push(real[rng.int(real.length)]);
  const targets = Int32Array.from(positions, (i) => x[i]);
  for (const i of positions) {
    const r = rng.next();
    if (r < 0.8) input[i] = opts.maskId;
    else if (r < 0.9) input[i] = opts.vocabSize > 2 ? 2 + rng.int(opts.vocabSize - 2) : x[i];
  }
  return { input, positions: Int32Array.from(positions), targets };
}
