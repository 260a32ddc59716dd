import * as tf from '@tensorflow/tfjs';
import { conv, dense, ParamInit, type Params, silu, timestepEmbedding } from '../layers';

/**
 * The three networks of the Frido miniature, in plain ops over parameter records (so the
 * shared `TrainingSession` holds them as variable sets): a two-scale autoencoder (Frido's
 * MS-VQGAN, without quantisation), a pyramid U-Net noise model over both latents (Frido's
 * PyU-Net, miniature), and the classifier whose features measure samples. Images are
 * [B, 28, 28, 1] in [0, 1].
 */

// ---- two-scale autoencoder -------------------------------------------------------------------

export interface AutoencoderShape {
  /** Channels of the coarse 7x7 latent (global structure). */
  coarseChannels: number;
  /** Channels of the fine 14x14 latent (detail). */
  fineChannels: number;
  /** Feature width of the convolutions. */
  width: number;
}

export function initAutoencoder(s: AutoencoderShape, seed: number): Params {
  const w = s.width;
  const init = new ParamInit(seed);
  init.conv('enc1', 3, 1, w / 2); // 28 -> 14 (stride 2)
  init.conv('enc2', 3, w / 2, w);
  init.conv('fineHead', 1, w, s.fineChannels);
  init.conv('enc3', 3, w, w); // 14 -> 7 (stride 2)
  init.conv('enc4', 3, w, w);
  init.conv('coarseHead', 1, w, s.coarseChannels);
  init.conv('dec1', 3, s.coarseChannels, w);
  init.conv('dec2', 3, w, w);
  init.conv('dec3', 3, w + s.fineChannels, w); // at 14x14, after upsampling the coarse path
  init.conv('dec4', 3, w, w);
  init.conv('decOut', 3, w, 4); // 4 sub-pixels -> 28x28
  init.conv('cdec1', 3, s.coarseChannels, w);
  init.conv('cdec2', 3, w, w);
  init.conv('cdecOut', 3, w, 16); // 16 sub-pixels -> 28x28
  return init.params;
}

/** Both latents, bounded by tanh: coarse [B, 7, 7, cc], fine [B, 14, 14, cf]. */
export function encode(p: Params, x: tf.Tensor): { coarse: tf.Tensor4D; fine: tf.Tensor4D } {
  const h14 = silu(conv(p, 'enc2', silu(conv(p, 'enc1', x, 2))));
  const fine = tf.tanh(conv(p, 'fineHead', h14)) as tf.Tensor4D;
  const h7 = silu(conv(p, 'enc4', silu(conv(p, 'enc3', h14, 2))));
  const coarse = tf.tanh(conv(p, 'coarseHead', h7)) as tf.Tensor4D;
  return { coarse, fine };
}

/** The image from both latents (the full decoder). */
export function decode(p: Params, coarse: tf.Tensor, fine: tf.Tensor): tf.Tensor4D {
  const h7 = silu(conv(p, 'dec2', silu(conv(p, 'dec1', coarse))));
  const up = tf.image.resizeNearestNeighbor(h7 as tf.Tensor4D, [14, 14]);
  const h14 = silu(conv(p, 'dec4', silu(conv(p, 'dec3', tf.concat([up, fine], 3)))));
  return tf.sigmoid(depthToSpace(conv(p, 'decOut', h14), 2)) as tf.Tensor4D;
}

/** The image from the coarse latent alone (trained too, so the coarse latent carries the global structure). */
export function decodeCoarse(p: Params, coarse: tf.Tensor): tf.Tensor4D {
  const h7 = silu(conv(p, 'cdec2', silu(conv(p, 'cdec1', coarse))));
  return tf.sigmoid(depthToSpace(conv(p, 'cdecOut', h7), 4)) as tf.Tensor4D;
}

/** [B, H, W, r*r*C] -> [B, H*r, W*r, C] with differentiable ops (tfjs has no DepthToSpace gradient). */
export function depthToSpace(x: tf.Tensor, r: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const out = c / (r * r);
  return tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, r, r, out]), [0, 1, 3, 2, 4, 5]), [b, h * r, w * r, out]) as tf.Tensor4D;
}

// ---- pyramid U-Net noise model ----------------------------------------------------------------

/** Which latents a call denoises: the coarse one (fine input = noise), the fine one given a clean coarse one, or both at once. */
export type DenoiseStage = 'coarse' | 'fine' | 'joint';
export const STAGE_INDEX: Record<DenoiseStage, number> = { coarse: 0, fine: 1, joint: 2 };

export interface UnetShape {
  coarseChannels: number;
  fineChannels: number;
  width: number;
  classes: number;
  /** Size of the time/class/stage embedding. */
  embed: number;
}

export function initUnet(s: UnetShape, seed: number): Params {
  const w = s.width;
  const init = new ParamInit(seed);
  init.dense('time1', 32, s.embed);
  init.dense('time2', s.embed, s.embed);
  init.embedding('classEmb', s.classes + 1, s.embed); // last row: no label (classifier-free guidance)
  init.embedding('stageEmb', 3, s.embed);
  init.conv('in1', 3, s.fineChannels + s.coarseChannels, w); // the coarse latent, upsampled, joins the fine one at 14x14
  init.dense('emb14', s.embed, w);
  init.conv('in2', 3, w, w);
  init.conv('down', 3, w, 2 * w); // 14 -> 7 (stride 2)
  init.conv('mid1', 3, 2 * w + s.coarseChannels, 2 * w); // the coarse latent joins at its own scale
  init.dense('emb7', s.embed, 2 * w);
  init.conv('mid2', 3, 2 * w, 2 * w);
  init.conv('outCoarse', 3, 2 * w, s.coarseChannels, 0.1);
  init.conv('up1', 3, 3 * w, w);
  init.dense('embUp', s.embed, w);
  init.conv('up2', 3, w, w);
  init.conv('outFine', 3, w, s.fineChannels, 0.1);
  return init.params;
}

/**
 * Noise predictions for both latents: coarse [B, 7, 7, cc] (read out at the 7x7 level) and fine
 * [B, 14, 14, cf]. The coarse latent enters at both scales: upsampled beside the fine latent at
 * the input (so the fine stage sees its condition at 14x14, not only through the 7x7 bottleneck,
 * and the coarse stage is denoised by the whole down path) and again at 7x7. The timestep, the
 * class (index `classes` = no label) and the stage are embedded, summed and added in every block:
 * the condition reaches every scale, as in Frido.
 */
export function unet(
  p: Params, s: UnetShape, coarse: tf.Tensor, fine: tf.Tensor, t: ArrayLike<number>, labels: Int32Array, stage: DenoiseStage,
): { coarse: tf.Tensor4D; fine: tf.Tensor4D } {
  const n = labels.length;
  const temb = dense(p, 'time2', silu(dense(p, 'time1', timestepEmbedding(t, 32))));
  const cemb = tf.gather(p.classEmb, tf.tensor1d(labels, 'int32'));
  const semb = tf.gather(p.stageEmb, tf.fill([n], STAGE_INDEX[stage], 'int32'));
  const emb = silu(tf.add(tf.add(temb, cemb), semb));
  const bias = (name: string) => tf.reshape(dense(p, name, emb), [n, 1, 1, -1]);
  const coarse14 = tf.image.resizeNearestNeighbor(coarse as tf.Tensor4D, [14, 14]);
  let h14 = silu(tf.add(conv(p, 'in1', tf.concat([fine, coarse14], 3)), bias('emb14')));
  h14 = silu(conv(p, 'in2', h14));
  let h7 = silu(conv(p, 'down', h14, 2));
  h7 = silu(tf.add(conv(p, 'mid1', tf.concat([h7, coarse], 3)), bias('emb7')));
  h7 = silu(conv(p, 'mid2', h7));
  const outCoarse = conv(p, 'outCoarse', h7);
  let u = tf.concat([tf.image.resizeNearestNeighbor(h7 as tf.Tensor4D, [14, 14]), h14], 3);
  u = silu(tf.add(conv(p, 'up1', u), bias('embUp')));
  u = silu(conv(p, 'up2', u));
  return { coarse: outCoarse, fine: conv(p, 'outFine', u) };
}

// ---- classifier (the measuring stick) ----------------------------------------------------------

export const CLASSIFIER_FEATURES = 128;

export function initClassifier(classes: number, seed: number): Params {
  const init = new ParamInit(seed);
  init.conv('c1', 3, 1, 32);
  init.conv('c2', 3, 32, 32);
  init.dense('fc', 7 * 7 * 32, CLASSIFIER_FEATURES);
  init.dense('out', CLASSIFIER_FEATURES, classes);
  return init.params;
}

/** Penultimate features [B, 128] (after ReLU) and logits. */
export function classify(p: Params, x: tf.Tensor): { features: tf.Tensor2D; logits: tf.Tensor2D } {
  let h = tf.maxPool(tf.relu(conv(p, 'c1', x)) as tf.Tensor4D, 2, 2, 'valid');
  h = tf.maxPool(tf.relu(conv(p, 'c2', h)) as tf.Tensor4D, 2, 2, 'valid');
  const features = tf.relu(dense(p, 'fc', tf.reshape(h, [h.shape[0], -1]))) as tf.Tensor2D;
  return { features, logits: dense(p, 'out', features) as tf.Tensor2D };
}
