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
 * Read a data file, decompressing it when it is gzip. Compression is detected by the magic
 * bytes, not the name, so `data.csv` that is really gzip and `data.csv.gz` that is really
 * plain both work. Problems are `UserError`s at `pointer` (the config field naming the file).
 */
export async function readDataFile(file: string, pointer: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'data file not found' : code === 'EISDIR' ? 'data path is a folder, not a file' : `cannot read data file (${code ?? String(e)})`;
    throw new UserError(`${why}: ${file}`, pointer, file);
  }
  if (!isGzip(raw)) return raw;
  try {
    return await gunzip(raw);
  } catch (e) {
    throw new UserError(`corrupt gzip data (${(e as Error).message})`, pointer, file);
  }
}
