import * as tf from '@tensorflow/tfjs';
import type { StoredTensor } from '../checkpoint';

/** Where one tensor lives in a packed buffer (JSON-serialisable, kept in a manifest). */
export interface PackedEntry {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Byte offset into the buffer (4 bytes per value, little-endian as the platform writes). */
  offset: number;
}

/** Packs tensors' values back to back into one buffer, for one binary checkpoint file. */
export class TensorPacker {
  private parts: Uint8Array[] = [];
  private size = 0;

  add(t: StoredTensor): PackedEntry {
    const entry: PackedEntry = { shape: [...t.shape], dtype: t.dtype, offset: this.size };
    this.parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    this.size += t.data.byteLength;
    return entry;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }
}

/** A tensor's values read out of the backend. */
export async function storeTensor(t: tf.Tensor): Promise<StoredTensor> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`cannot store a ${t.dtype} tensor (float32 and int32 only)`);
  const data = (await t.data()) as Float32Array | Int32Array;
  return { shape: [...t.shape], dtype: t.dtype, data };
}

/**
 * The tensor an entry describes, copied out of `buf`. A manifest is untrusted input (a damaged
 * or hand-edited file): a bad shape, dtype or a range outside the buffer is an error, never a
 * read past the end.
 */
export function unpackEntry(buf: Uint8Array, e: PackedEntry, what: string): StoredTensor {
  const okShape = Array.isArray(e?.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!okShape || (e.dtype !== 'float32' && e.dtype !== 'int32') || !Number.isInteger(e.offset) || e.offset < 0) {
    throw new Error(`${what}: malformed tensor entry ${JSON.stringify(e)}`);
  }
  const bytes = e.shape.reduce((a, b) => a * b, 1) * 4;
  if (e.offset + bytes > buf.byteLength) throw new Error(`${what}: tensor lies outside the tensors file (truncated file?)`);
  // Copy into a fresh, aligned buffer (the entry's offset within a Node buffer may not be 4-byte aligned).
  const raw = buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + bytes);
  return { shape: e.shape, dtype: e.dtype, data: e.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw) };
}
