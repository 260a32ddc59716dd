import type { LayerConfig } from './types';

/**
 * The name a layer is known by everywhere (model layers, freeze events, checkpoints, inlay
 * hints): its `name` from the experiment file, or `${type}_${index}` when it has none, where
 * `index` is the layer's 0-based position in `model.layers` (e.g. `dense_2`). Positional
 * names stay stable while the file is edited elsewhere and are unique by construction, except
 * when a user names another layer the same way, which the loader reports as a duplicate.
 */
export function layerName(cfg: Pick<LayerConfig, 'name' | 'type'>, index: number): string {
  return cfg.name !== undefined && cfg.name !== '' ? cfg.name : `${cfg.type}_${index}`;
}
