import type * as tf from '@tensorflow/tfjs';

/** A tensor in a JSON file: shape and float32 values, little-endian, base64. */
export interface ExportedTensor {
  shape: number[];
  float32: string;
}

/** A network's variables for a JSON file another program (or the goal-reaching part) can load. */
export function exportVariables(vars: Record<string, tf.Tensor>): Record<string, ExportedTensor> {
  const out: Record<string, ExportedTensor> = {};
  for (const [k, v] of Object.entries(vars)) {
    const data = v.dataSync() as Float32Array;
    out[k] = { shape: v.shape, float32: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
  }
  return out;
}

export function importTensorData(t: ExportedTensor): Float32Array {
  const bytes = Buffer.from(t.float32, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
