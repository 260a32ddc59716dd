import { UserError } from '../errors';

/** Magic numbers of the two IDX files MNIST-style datasets ship (uint8 data). */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  /** `count * height * width` pixel values, row-major, as float32, divided by `scale`. */
  x: Float32Array;
  count: number;
  height: number;
  width: number;
}

/**
 * Parse an IDX image file (magic 0x00000803: uint8, 3 dimensions [count, height, width]).
 * Reads the pixels straight into one typed array, divided by `scale`. `pointer` names the
 * config field.
 */
export function parseIdxImages(buf: Uint8Array, file: string, pointer: string, scale = 1): IdxImages {
  const dims = idxHeader(buf, IDX_IMAGES_MAGIC, 'image', file, pointer);
  const [count, height, width] = dims;
  const offset = 4 + 4 * dims.length;
  const n = count * height * width;
  checkLength(buf, offset, n, file, pointer);
  // One pass through a 256-entry table converts and scales (same values as v / scale).
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = v / scale;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = table[buf[offset + i]];
  return { x, count, height, width };
}

/** Parse an IDX label file (magic 0x00000801: uint8, one dimension [count]). */
export function parseIdxLabels(buf: Uint8Array, file: string, pointer: string): Int32Array {
  const dims = idxHeader(buf, IDX_LABELS_MAGIC, 'label', file, pointer);
  const offset = 4 + 4 * dims.length;
  checkLength(buf, offset, dims[0], file, pointer);
  return Int32Array.from(buf.subarray(offset, offset + dims[0]));
}

/** Check the magic number and read the dimension sizes (big-endian int32). */
function idxHeader(buf: Uint8Array, magic: number, what: string, file: string, pointer: string): number[] {
  const ndim = magic & 0xff;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4) throw new UserError(`not an IDX ${what} file: only ${buf.length} bytes`, pointer, file);
  const got = view.getUint32(0, false);
  if (got !== magic) {
    const hint =
      got === IDX_IMAGES_MAGIC ? ' (this is an IDX image file)' : got === IDX_LABELS_MAGIC ? ' (this is an IDX label file)' : '';
    throw new UserError(`not an IDX ${what} file: magic number 0x${hex(got)}, expected 0x${hex(magic)}${hint}`, pointer, file);
  }
  if (buf.length < 4 + 4 * ndim) throw new UserError(`truncated IDX ${what} file: the header needs ${4 + 4 * ndim} bytes, the file has ${buf.length}`, pointer, file);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  return dims;
}

function checkLength(buf: Uint8Array, offset: number, expected: number, file: string, pointer: string): void {
  const have = buf.length - offset;
  if (have < expected) {
    throw new UserError(`truncated IDX file: the header announces ${expected} bytes of data, the file has ${have}`, pointer, file);
  }
}

function hex(v: number): string {
  return v.toString(16).padStart(8, '0');
}
