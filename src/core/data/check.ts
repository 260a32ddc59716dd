import { UserError } from '../errors';
import { layerName } from '../experiment/layerName';
import type { TrainExperiment } from '../experiment/types';
import type { LoadedData } from './types';

/** Something odd but not fatal about data and model together, for the user to see. */
export interface DataWarning {
  pointer: string;
  message: string;
}

/**
 * Labels against the output layer: throws a `UserError` at `/model/layers/<last>/units` when
 * the data has more classes than the final dense layer has units (training would index past
 * the output). More units than classes only warns (the extra outputs are never targets).
 * Models without configured layers (`from` alone) are checked by the model builder instead.
 */
export function checkLabels(data: LoadedData, experiment: TrainExperiment): DataWarning[] {
  const layers = experiment.model.layers ?? [];
  const last = layers.length - 1;
  if (last < 0) return [];
  const out = layers[last];
  if (out.type !== 'dense' || out.units === undefined) return [];
  const pointer = `/model/layers/${last}/units`;
  const classes = describeClasses(data);
  if (data.numClasses > out.units) {
    throw new UserError(`the data has ${classes}, but the output layer "${layerName(out, last)}" has ${out.units} units`, pointer);
  }
  if (data.numClasses < out.units && out.activation === 'softmax') {
    return [{ pointer, message: `the output layer has ${out.units} units but the data has only ${classes}` }];
  }
  return [];
}

/**
 * Everything the data must agree on with the model, before it is built: the example shape
 * equals `inputShape`, text token ids fit the embedding, labels fit the output layer.
 * Throws the first `UserError`; returns warnings.
 */
export function checkDataAgainstModel(data: LoadedData, experiment: TrainExperiment): DataWarning[] {
  const { inputShape, layers = [], from } = experiment.model;
  if (from === undefined && inputShape !== undefined) {
    const same = inputShape.length === data.exampleShape.length && inputShape.every((d, i) => d === data.exampleShape[i]);
    if (!same) {
      throw new UserError(
        `inputShape is [${inputShape.join(', ')}] but the data's examples have shape [${data.exampleShape.join(', ')}]`,
        '/model/inputShape',
      );
    }
  }
  if (data.vocab) {
    layers.forEach((l, i) => {
      if (l.type === 'embedding' && l.inputDim !== undefined && l.inputDim < data.vocab!.length) {
        throw new UserError(
          `inputDim ${l.inputDim} is smaller than the vocabulary (${data.vocab!.length} tokens including [PAD] and [UNK])`,
          `/model/layers/${i}/inputDim`,
        );
      }
    });
  }
  return checkLabels(data, experiment);
}

function describeClasses(data: LoadedData): string {
  if (data.classNames) return `${data.numClasses} classes (${data.classNames.slice(0, 5).join(', ')}${data.numClasses > 5 ? ', ...' : ''})`;
  return `${data.numClasses} classes (labels 0 to ${data.numClasses - 1})`;
}
