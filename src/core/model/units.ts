import * as tf from '@tensorflow/tfjs';
import type { FreezableUnit } from '../freezing/policy';
import type { LayerInfo } from '../train/events';
import { layerBackwardInFullStep, type LayerCost, modelLayers } from './flops';

/**
 * The freezable units of a model: its layers with trainable weights, in order. The unit's
 * `kernel` (what SmartFRZ samples) is its largest weight of rank >= 2 (dense/conv kernel,
 * embedding table, the transformer's feed-forward kernel), else its first weight
 * (batch-norm gamma).
 */
export function freezableUnits(model: tf.LayersModel, costs: LayerCost[]): FreezableUnit[] {
  const units: FreezableUnit[] = [];
  modelLayers(model).forEach((layer, layerIndex) => {
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    if (variables.length === 0) return;
    const matrices = variables.filter((v) => v.rank >= 2);
    const kernel = (matrices.length > 0 ? matrices : variables).reduce((a, b) => (b.size > a.size ? b : a));
    units.push({
      name: layer.name,
      index: units.length,
      layerIndex,
      type: costs[layerIndex].className,
      kernel,
      variables,
      flopsForward: costs[layerIndex].forward,
      flopsBackward: layerBackwardInFullStep(costs, layerIndex),
    });
  });
  return units;
}

/** What the `start` event reports per layer. */
export function layerInfos(costs: LayerCost[], units: FreezableUnit[]): LayerInfo[] {
  return costs.map((c, l) => ({
    name: c.name,
    type: c.className,
    params: c.params,
    flopsForward: c.forward,
    flopsBackward: layerBackwardInFullStep(costs, l),
    unit: units.findIndex((u) => u.layerIndex === l),
  }));
}
