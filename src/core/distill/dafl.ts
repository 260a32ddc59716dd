import * as tf from '@tensorflow/tfjs';
import { forward } from './forward';
import { activationLoss, balanceLoss, oneHotLoss } from './losses';

/** DAFL's settings (Chen et al. 2019; docs/distillation.md). */
export interface DaflSettings {
  /** Generator updates. */
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Size of the generator's Gaussian input. */
  noiseDim: number;
  /** Width of the generator's hidden layer. */
  hidden: number;
  oneHotWeight: number;
  activationWeight: number;
  balanceWeight: number;
}

/**
 * DAFL's generator for a teacher whose examples have `exampleShape`: noise -> dense -> batch
 * norm -> leaky ReLU -> dense -> tanh -> reshape -> batch norm without scale and shift (the
 * official generator ends the same way, after its convolutions; an MLP here, since the teachers
 * it serves are small). Seeded initialisers. That ending makes zero-mean, unit-variance inputs,
 * which is the data's range only for standardised data (the official MNIST loader standardises);
 * with `range` (the data's, e.g. [0, 1]: `synthesis.clip`) the generator ends in a sigmoid scaled
 * to it instead, so its inputs live where the teacher's training inputs did.
 */
export function buildGenerator(exampleShape: number[], s: Pick<DaflSettings, 'noiseDim' | 'hidden'>, seed: number, range?: [number, number]): tf.LayersModel {
  const size = exampleShape.reduce((a, b) => a * b, 1);
  const z = tf.input({ shape: [s.noiseDim], name: 'noise' });
  let h = tf.layers.dense({ units: s.hidden, kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'g_fc1' }).apply(z) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'g_bn1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.leakyReLU({ alpha: 0.2, name: 'g_act1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: size, activation: range ? 'sigmoid' : 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: 'g_fc2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: exampleShape, name: 'g_shape' }).apply(h) as tf.SymbolicTensor;
  if (range) {
    const [lo, hi] = range;
    if (lo !== 0 || hi !== 1) h = tf.layers.rescaling({ scale: hi - lo, offset: lo, name: 'g_range' }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: z, outputs: h, name: 'generator' });
  }
  // Without scale and shift: fixed at 1 and 0 (tfjs's batch norm reads gamma and beta in
  // training mode even when `scale`/`center` are off, so they exist and do not train).
  h = tf.layers.batchNormalization({ name: 'g_bn_out', trainable: false }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: z, outputs: h, name: 'generator' });
}

/**
 * DAFL's generator loss for a batch of generated inputs: `oneHot * CE(T(G(z)), argmax) +
 * activation * (-mean |f_T|) + balance * sum p̄ log10 p̄`, with the parts reported. The teacher
 * runs in inference mode.
 */
export function daflLoss(teacher: tf.LayersModel, generated: tf.Tensor, s: DaflSettings): { loss: tf.Scalar; oneHot: tf.Scalar; activation: tf.Scalar; balance: tf.Scalar } {
  const out = forward(teacher, generated);
  const logits = out.logits!;
  const oneHot = oneHotLoss(logits);
  const activation = activationLoss(out.features);
  const balance = balanceLoss(logits);
  const loss = tf.addN([tf.mul(oneHot, s.oneHotWeight), tf.mul(activation, s.activationWeight), tf.mul(balance, s.balanceWeight)]) as tf.Scalar;
  return { loss, oneHot, activation, balance };
}
