import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../core/data/types';
import { modelLayers } from '../core/model/flops';
import { forwardPlan, runLayers } from '../core/train/forward';
import { INFERENCE_BATCH, sliceRows } from '../core/train/prefixCache';

/** Predicted class of every test example, in batches, with the same forward pass as evaluation. */
export async function predictTestClasses(model: tf.LayersModel, data: LoadedData): Promise<Int32Array> {
  const plan = forwardPlan(modelLayers(model));
  const x = tf.tensor(data.test.x, [data.test.count, ...data.exampleShape], data.xDtype);
  const out = new Int32Array(data.test.count);
  try {
    for (let start = 0; start < data.test.count; start += INFERENCE_BATCH) {
      const size = Math.min(INFERENCE_BATCH, data.test.count - start);
      const classes = tf.tidy(() => tf.argMax(runLayers(plan, sliceRows(x, start, size), 0, plan.layers.length, false, 0), -1));
      out.set(await classes.data() as Int32Array, start);
      classes.dispose();
    }
  } finally {
    x.dispose();
  }
  return out;
}
