import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * The real path of `relative` inside `root`, for reading a file that a stored document names
 * (a checkpoint's tensors file, a run's configuration): refuses absolute paths and `..`
 * segments, and, after resolving symbolic links, anything that is not inside the real `root`,
 * so a crafted run folder can never make us read elsewhere. Throws an `Error` saying why
 * (`code` `EOUTSIDE`), or the file system's error (e.g. `ENOENT`).
 */
export async function confinedRealPath(root: string, relative: string): Promise<string> {
  if (relative === '' || path.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative) || relative.split(/[\\/]/).includes('..')) {
    throw outside(`${JSON.stringify(relative)} is not a plain relative path`);
  }
  const realRoot = await fs.realpath(root);
  const real = await fs.realpath(path.join(root, relative));
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep)) {
    throw outside(`${JSON.stringify(relative)} leads outside ${root} (to ${real})`);
  }
  return real;
}

function outside(message: string): Error {
  return Object.assign(new Error(message), { code: 'EOUTSIDE' });
}
