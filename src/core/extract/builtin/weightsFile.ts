import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../util/atomicFile';
import { parseJson } from '../../util/jsonError';
import { UserError } from '../../errors';

/**
 * Named float32 arrays stored as one binary file plus a manifest (kept in the model's JSON).
 * Large matrices (the feature embeddings) are stored row-wise quantised to uint8
 * (`value = min + q * scale` per row), which keeps the shipped model under the 10 MB budget
 * at a negligible accuracy cost; small ones stay float32.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'uint8-rows';
  offset: number;
  byteLength: number;
}

export interface NamedWeights {
  [name: string]: { shape: number[]; values: Float32Array };
}

/**
 * Matrices (rank >= 2, rows along the last axis) with at least this many values are quantised:
 * the embeddings, and the convolution and GRU kernels of the tagger (about 0.7 MB saved per
 * tagger, which makes room for a 2-tagger ensemble in the 10 MB budget).
 */
const QUANTISE_MIN_VALUES = 16_384;

export function encodeWeights(weights: NamedWeights): { specs: WeightSpec[]; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  const specs: WeightSpec[] = [];
  let offset = 0;
  for (const [name, { shape, values }] of Object.entries(weights)) {
    let bytes: Uint8Array;
    let dtype: WeightSpec['dtype'] = 'float32';
    if (values.length >= QUANTISE_MIN_VALUES && shape.length >= 2) {
      dtype = 'uint8-rows';
      const cols = shape[shape.length - 1];
      bytes = quantiseRows(values, values.length / cols, cols);
    } else {
      bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    }
    // Keep every block 4-byte aligned so float32 views can be taken without copying.
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    specs.push({ name, shape, dtype, offset, byteLength: bytes.length });
    parts.push(padded);
    offset += padded.length;
  }
  const data = new Uint8Array(offset);
  let p = 0;
  for (const part of parts) { data.set(part, p); p += part.length; }
  return { specs, data };
}

export function decodeWeights(specs: WeightSpec[], data: Uint8Array, file?: string): NamedWeights {
  const out: NamedWeights = {};
  for (const s of specs) {
    if (s.offset + s.byteLength > data.length) throw new UserError(`weights file is truncated (tensor "${s.name}")`, undefined, file);
    const bytes = data.subarray(s.offset, s.offset + s.byteLength);
    const count = s.shape.reduce((a, b) => a * b, 1);
    const values = s.dtype === 'float32'
      ? new Float32Array(bytes.slice().buffer)
      : dequantiseRows(bytes, count / s.shape[s.shape.length - 1], s.shape[s.shape.length - 1]);  // rows along the last axis, any rank
    if (values.length !== count) throw new UserError(`tensor "${s.name}" has ${values.length} values, expected ${count}`, undefined, file);
    out[s.name] = { shape: s.shape, values };
  }
  return out;
}

/** Row layout: float32 min, float32 scale, then `cols` uint8 codes. */
function quantiseRows(values: Float32Array, rows: number, cols: number): Uint8Array {
  const rowBytes = 8 + cols;
  const out = new Uint8Array(rows * rowBytes);
  const view = new DataView(out.buffer);
  for (let r = 0; r < rows; r++) {
    let min = Infinity;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) { const v = values[r * cols + c]; if (v < min) min = v; if (v > max) max = v; }
    const scale = max > min ? (max - min) / 255 : 1;
    view.setFloat32(r * rowBytes, min, true);
    view.setFloat32(r * rowBytes + 4, scale, true);
    for (let c = 0; c < cols; c++) out[r * rowBytes + 8 + c] = Math.round((values[r * cols + c] - min) / scale);
  }
  return out;
}

function dequantiseRows(bytes: Uint8Array, rows: number, cols: number): Float32Array {
  const rowBytes = 8 + cols;
  const out = new Float32Array(rows * cols);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length !== rows * rowBytes) return new Float32Array(0);
  for (let r = 0; r < rows; r++) {
    const min = view.getFloat32(r * rowBytes, true);
    const scale = view.getFloat32(r * rowBytes + 4, true);
    for (let c = 0; c < cols; c++) out[r * cols + c] = min + bytes[r * rowBytes + 8 + c] * scale;
  }
  return out;
}

/** Write `<dir>/<base>.json` (manifest + metadata) and `<dir>/<base>.weights.bin`. */
export async function saveModelFiles(dir: string, base: string, meta: Record<string, unknown>, weights: NamedWeights): Promise<void> {
  const { specs, data } = encodeWeights(weights);
  const binName = `${base}.weights.bin`;
  await writeFileAtomic(path.join(dir, binName), data);
  await writeFileAtomic(path.join(dir, `${base}.json`), JSON.stringify({ ...meta, weightsFile: binName, weights: specs }) + '\n');
}

export async function loadModelFiles(jsonFile: string): Promise<{ meta: Record<string, unknown>; weights: NamedWeights }> {
  let meta: Record<string, unknown>;
  try {
    meta = parseJson(await fs.readFile(jsonFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`cannot read extractor model: ${(e as Error).message}`, undefined, jsonFile);
  }
  if (typeof meta.weightsFile !== 'string' || !Array.isArray(meta.weights)) {
    throw new UserError('not an extractor model file (missing "weightsFile"/"weights")', undefined, jsonFile);
  }
  const binFile = path.join(path.dirname(jsonFile), path.basename(meta.weightsFile));
  let data: Uint8Array;
  try {
    data = new Uint8Array(await fs.readFile(binFile));
  } catch (e) {
    throw new UserError(`cannot read extractor weights (${(e as NodeJS.ErrnoException).code ?? 'error'})`, undefined, binFile);
  }
  return { meta, weights: decodeWeights(meta.weights as WeightSpec[], data, binFile) };
}
