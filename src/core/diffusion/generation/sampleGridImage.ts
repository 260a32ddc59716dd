import { deflateSync } from 'node:zlib';

/**
 * A sample grid as one grey picture, and that picture as a PNG file (written with zlib and a
 * CRC-32, no image library). Layout per class row: the coarse decodes, a gap, the full decodes;
 * each 28x28 sample scaled by `scale` (nearest neighbour), 2-pixel gutters.
 */
export interface GreyImage {
  width: number;
  height: number;
  /** Row-major, 0..255. */
  pixels: Uint8Array;
}

/** The grid of one schedule: `pixels` as stored by `GenerationTrainer.grid` ([stage][class][k] 28x28). */
export interface GridPixels {
  classes: number;
  perClass: number;
  pixels: Uint8Array;
}

const GUTTER = 2;
const STAGE_GAP = 12;
const BACKGROUND = 64;

export function gridImage(g: GridPixels, scale = 2): GreyImage {
  const cell = 28 * scale + GUTTER;
  const blockWidth = g.perClass * cell;
  const width = GUTTER + 2 * blockWidth + STAGE_GAP;
  const height = GUTTER + g.classes * cell;
  const pixels = new Uint8Array(width * height).fill(BACKGROUND);
  for (let stage = 0; stage < 2; stage++) {
    for (let c = 0; c < g.classes; c++) {
      for (let k = 0; k < g.perClass; k++) {
        const src = ((stage * g.classes + c) * g.perClass + k) * 784;
        const x0 = GUTTER + stage * (blockWidth + STAGE_GAP) + k * cell;
        const y0 = GUTTER + c * cell;
        for (let y = 0; y < 28 * scale; y++) {
          const row = (y0 + y) * width + x0;
          const sy = Math.floor(y / scale) * 28;
          for (let x = 0; x < 28 * scale; x++) pixels[row + x] = g.pixels[src + sy + Math.floor(x / scale)];
        }
      }
    }
  }
  return { width, height, pixels };
}

/** An 8-bit greyscale PNG (colour type 0), one IDAT chunk, filter 0 on every row. */
export function encodePng(img: GreyImage): Uint8Array {
  const raw = new Uint8Array((img.width + 1) * img.height);
  for (let y = 0; y < img.height; y++) raw.set(img.pixels.subarray(y * img.width, (y + 1) * img.width), y * (img.width + 1) + 1);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, img.width);
  view.setUint32(4, img.height);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const chunks = [chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const signature = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out = new Uint8Array(signature.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(signature, 0);
  let at = signature.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as PNG uses). */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
