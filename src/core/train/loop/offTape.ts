import * as tf from '@tensorflow/tfjs';

/**
 * Throws when called while a gradient tape records (inside `TrainingSession.step`'s loss, a
 * stage's declarative `loss`, `tf.variableGrads`). On the tape every intermediate tensor is kept
 * until the step ends, so a pass over a whole dataset there (e.g. a teacher's logits of 67,349
 * sentences in 135 batches) holds all its batches' activations at once: the wasm heap reaches its
 * 4 GB limit and the backend aborts. Work that does not depend on the step's variables belongs
 * outside the loss (a `step` stage's body before `session.step`, or `begin`).
 */
export function assertOffTape(what: string): void {
  if (tf.engine().isTapeOn()) {
    throw new Error(`${what} must run outside a gradient step (the tape would keep every batch's tensors until the step ends); compute it before session.step`);
  }
}
