import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { UserError } from '../errors';

const gunzip = promisify(zlib.gunzip);

/** True when `buf` starts with the gzip magic bytes 1f 8b. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * Most bytes a compressed data file may decompress to (1 GiB). A plain file's size is plain to
 * see; a gzip file's is not, and a small "gzip bomb" would otherwise fill memory. Decompression
 * stops as soon as the output passes the limit.
 */
export const MAX_DECOMPRESSED_BYTES = 2 ** 30;

/**
 * Read a data file, decompressing it when it is gzip. Compression is detected by the magic
 * bytes, not the name, so `data.csv` that is really gzip and `data.csv.gz` that is really
 * plain both work. Problems are `UserError`s at `pointer` (the config field naming the file).
 */
export async function readDataFile(file: string, pointer: string, maxDecompressedBytes = MAX_DECOMPRESSED_BYTES): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'data file not found'
      : code === 'EISDIR' ? 'data path is a folder, not a file'
      : code === 'ERR_FS_FILE_TOO_LARGE' ? 'data file is larger than 2 GiB, more than one file can hold in memory here'
      : `cannot read data file (${code ?? String(e)})`;
    throw new UserError(`${why}: ${file}`, pointer, file);
  }
  if (!isGzip(raw)) return raw;
  try {
    return await gunzip(raw, { maxOutputLength: maxDecompressedBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserError(
        `gzip data decompresses to more than ${formatBytes(maxDecompressedBytes)} (from ${formatBytes(raw.length)}), the limit for a compressed data file; decompress it yourself if it is meant to be that large`,
        pointer,
        file,
      );
    }
    throw new UserError(`corrupt gzip data (${(e as Error).message})`, pointer, file);
  }
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${+(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${+(n / 2 ** 20).toFixed(1)} MiB` : `${+(n / 1024).toFixed(1)} KiB`;
}
