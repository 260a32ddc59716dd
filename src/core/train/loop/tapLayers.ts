import * as tf from '@tensorflow/tfjs';

/** What a tapped forward pass returns: the model's output and the tapped tensors by layer name. */
export interface TappedOutputs {
  /** The model's own output (a list for multi-output models). */
  output: tf.Tensor | tf.Tensor[];
  /** Output of each layer named in `outputsOf` (hidden states, embeddings, logits). */
  outputsOf: Record<string, tf.Tensor>;
  /** Input of each layer named in `inputsOf` (e.g. what a batch-norm layer normalises). */
  inputsOf: Record<string, tf.Tensor>;
}

/**
 * A forward pass of `model` that also returns intermediate tensors, for losses on them:
 * hidden-state or embedding MSE between teacher and student (TinyBERT), batch statistics of the
 * inputs of a teacher's batch-norm layers (DeepInversion). It is one extra functional model
 * over the same layers, so the weights are shared and gradients flow through the taps.
 * `training` is passed to every layer (batch norm, dropout) as in `model.apply`.
 * Works for Sequential and functional models whose tapped layers are used once.
 */
export function tapLayers(
  model: tf.LayersModel,
  taps: { outputsOf?: string[]; inputsOf?: string[] },
): (x: tf.Tensor | tf.Tensor[], opts?: { training?: boolean }) => TappedOutputs {
  const outputsOf = taps.outputsOf ?? [];
  const inputsOf = taps.inputsOf ?? [];
  const symbolic = (name: string, which: 'input' | 'output'): tf.SymbolicTensor => {
    const layer = model.layers.find((l) => l.name === name);
    if (!layer) throw new Error(`tapLayers: model '${model.name}' has no layer '${name}' (layers: ${model.layers.map((l) => l.name).join(', ')})`);
    const t = which === 'input' ? layer.input : layer.output;
    if (Array.isArray(t)) throw new Error(`tapLayers: layer '${name}' has several ${which}s; tap a single-${which} layer`);
    return t;
  };
  const own = model.outputs;
  // One output per distinct tensor (a layer's input is often the previous layer's output, and a
  // functional model returns null for a repeated output).
  const unique: tf.SymbolicTensor[] = [...own];
  const indexOf = (t: tf.SymbolicTensor) => {
    const i = unique.indexOf(t);
    return i >= 0 ? i : unique.push(t) - 1;
  };
  const outIdx = outputsOf.map((n) => indexOf(symbolic(n, 'output')));
  const inIdx = inputsOf.map((n) => indexOf(symbolic(n, 'input')));
  const tapped = tf.model({ inputs: model.inputs, outputs: unique });
  return (x, opts) => {
    const all = tapped.apply(x, { training: opts?.training ?? false }) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(all) ? all : [all];
    return {
      output: own.length === 1 ? list[0] : list.slice(0, own.length),
      outputsOf: Object.fromEntries(outputsOf.map((n, i) => [n, list[outIdx[i]]])),
      inputsOf: Object.fromEntries(inputsOf.map((n, i) => [n, list[inIdx[i]]])),
    };
  };
}
