import type { LayerConfig } from '../../experiment/types';

/**
 * The encoder part of a text model's layers, the part masked-LM pretraining trains: from the
 * first layer (an embedding) to the last `transformerEncoder` block, inclusive. What follows
 * (pooling, the classifier) is the task head, trained only when fine-tuning. A string says why a
 * model has no such part.
 */
export function encoderLayers(layers: readonly LayerConfig[]): LayerConfig[] | string {
  if (layers.length === 0 || layers[0].type !== 'embedding') {
    return 'masked-LM pretraining needs a text model whose first layer is an embedding';
  }
  let last = -1;
  layers.forEach((l, i) => {
    if (l.type === 'transformerEncoder') last = i;
  });
  if (last < 0) return 'masked-LM pretraining needs at least one transformerEncoder layer: it predicts words from their context';
  return layers.slice(0, last + 1);
}
