import type { TrainExperiment } from '../../experiment/types';
import { encoderLayers } from './encoder';

/**
 * What is wrong with a `pretrain` section beyond its schema, at the field: a model that is not a
 * text encoder (an embedding, then transformer blocks), a saved model (`model.from`: pretraining
 * builds the encoder from `model.layers`), both `epochs` and `steps`, an embedding whose explicit
 * `inputDim` leaves no row for [MASK].
 */
export function pretrainProblems(exp: TrainExperiment): { pointer: string; message: string }[] {
  const p = exp.pretrain;
  if (!p || typeof p !== 'object') return [];
  const out: { pointer: string; message: string }[] = [];
  if (exp.model?.from !== undefined) {
    out.push({ pointer: '/pretrain', message: 'pretrain trains the encoder of model.layers from scratch; a model fine-tuned from a saved one (model.from) cannot be pretrained here' });
    return out;
  }
  const layers = Array.isArray(exp.model?.layers) ? exp.model.layers : [];
  const enc = encoderLayers(layers);
  if (typeof enc === 'string') out.push({ pointer: '/pretrain', message: enc });
  if (p.epochs !== undefined && p.steps !== undefined) out.push({ pointer: '/pretrain/steps', message: 'give epochs or steps, not both' });
  const vocab = exp.data && 'vocabSize' in exp.data ? (exp.data as { vocabSize?: number }).vocabSize : undefined;
  const inputDim = layers[0]?.type === 'embedding' ? layers[0].inputDim : undefined;
  const maskRow = inputDim !== undefined && vocab !== undefined ? maskRowProblem(inputDim, vocab) : undefined;
  if (maskRow) out.push(maskRow);
  return out;
}

/**
 * The [MASK] row: masked-LM pretraining gives [MASK] the id `vocabSize`, so the embedding (the
 * model's first layer) needs `vocabSize + 1` rows. The problem at its `inputDim` when `rows` are
 * fewer: before a run with the vocabulary the data declares (`pretrainProblems`), and when
 * pretraining starts with the one the text gave (`planMlm`).
 */
export function maskRowProblem(rows: number, vocabSize: number): { pointer: string; message: string } | undefined {
  if (rows >= vocabSize + 1) return undefined;
  return {
    pointer: '/model/layers/0/inputDim',
    message: `masked-LM pretraining needs one embedding row more than the vocabulary (${vocabSize} words) for [MASK], and inputDim gives ${rows}: set inputDim to at least ${vocabSize + 1}, or leave it out`,
  };
}
