import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Makes sure `dir` is a folder this process can create files in, creating missing levels one
 * at a time. Returns why not, in words, or undefined when it is. Node's recursive `mkdir`
 * cannot be used to find out: where a level cannot be created (e.g. under `/proc`, which
 * answers ENOENT) it retries forever.
 */
export async function ensureWritableFolder(dir: string): Promise<string | undefined> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let cur = target;
  for (;;) {
    try {
      const st = await fs.stat(cur);
      if (!st.isDirectory()) return `${cur} is a file, not a folder`;
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file somewhere above; the walk up finds it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot look at ${cur} (${code ?? String(e)})`;
      const parent = path.dirname(cur);
      if (parent === cur) return `${cur} does not exist`;
      missing.push(cur);
      cur = parent;
    }
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return `cannot create the folder ${d} (${code ?? String(e)})`;
    }
  }
  // Creating a folder is what a run does first; try it (and undo it).
  try {
    await fs.rmdir(await fs.mkdtemp(path.join(target, '.model-lab-probe-')));
  } catch (e) {
    return `cannot create anything in ${target} (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  return undefined;
}
