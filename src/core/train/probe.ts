import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../data/types';
import type { FreezableUnit, ProbeOutputs } from '../freezing/policy';
import { type ForwardPlan, runLayers } from './forward';

/** Examples in the probe batch: enough for a stable linear CKA, cheap to run every few dozen steps. */
export const PROBE_EXAMPLES = 128;

/**
 * The run's probe: `PROBE_EXAMPLES` training examples spread evenly over the training split
 * (fixed for the whole run, so two readings differ only by the weights), run through the layers
 * in inference mode up to each requested unit. Nothing is computed until a policy asks.
 */
export function probeOutputs(plan: ForwardPlan, units: FreezableUnit[], data: LoadedData, size = PROBE_EXAMPLES): ProbeOutputs {
  const n = Math.min(size, data.train.count);
  let rows: Float32Array | Int32Array | undefined;
  /** The probe's examples, copied out of the split on first use (policies that never ask pay nothing). */
  const probeRows = (): Float32Array | Int32Array => {
    if (rows) return rows;
    const width = data.exampleShape.reduce((a, b) => a * b, 1);
    const src = data.train.x;
    rows = new (src.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(n * width);
    for (let i = 0; i < n; i++) {
      const r = Math.floor((i * data.train.count) / n);
      rows.set(src.subarray(r * width, (r + 1) * width), i * width);
    }
    return rows;
  };
  return (wanted) =>
    tf.tidy(() => {
      const order = [...wanted].sort((a, b) => a - b);
      const out = new Map<number, tf.Tensor>();
      let h: tf.Tensor = tf.tensor(probeRows(), [n, ...data.exampleShape], data.xDtype);
      let at = 0;
      for (const u of order) {
        const to = units[u].layerIndex + 1;
        h = runLayers(plan, h, at, to, false, 0);
        at = to;
        out.set(u, h);
      }
      return wanted.map((u) => out.get(u)!);
    });
}
