import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Writes in progress in this process (see `atomicWritesSettled`). */
const inFlight = new Set<Promise<void>>();

/**
 * Write a file so that readers see either the old or the new content, never a torn one:
 * write a sibling temp file (`<name>.<pid>.<random>.tmp`, see `isAtomicTempFile`), flush it,
 * then rename over the target (atomic on POSIX).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const write = (async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  })();
  inFlight.add(write);
  try {
    await write;
  } finally {
    inFlight.delete(write);
  }
}

/** Resolves once no atomic write of this process is in progress (so exiting cannot cut one short). */
export async function atomicWritesSettled(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

/** A temp file left by `writeFileAtomic` in a process that was killed: `<name>.<pid>.<random>.tmp`. */
export function isAtomicTempFile(name: string): { pid: number } | undefined {
  const m = /^.+\.(\d+)\.[0-9a-z]+\.tmp$/.exec(name);
  return m ? { pid: Number(m[1]) } : undefined;
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Removes the temp files `writeFileAtomic` left in `dir` (not below it) when a process writing
 * there was killed: only regular files named like ours whose process is gone. Returns their names.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const temp = isAtomicTempFile(name);
    if (!temp || temp.pid === process.pid || isAlive(temp.pid)) continue;
    const file = path.join(dir, name);
    try {
      if (!(await fs.lstat(file)).isFile()) continue;
      await fs.unlink(file);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
