import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import { writeJsonAtomic } from '../core/util/atomicFile';
import { RUN_FILE } from './runStore';

/**
 * What a person says about a run: a name, tags and a note, in `meta.json` of the run folder.
 * A file of its own (not `run.json`): the run process rewrites its record while it runs, and a
 * rename or note written meanwhile must not race with it. Read tolerantly (a hand-edited file
 * loses only what does not fit); written atomically.
 */
export const META_FILE = 'meta.json';

export interface RunMeta {
  name?: string;
  tags: string[];
  note?: string;
}

export const META_LIMITS = { name: 200, tag: 64, tags: 50, note: 10_000 } as const;

/** Tags as people type them ("baseline, lr sweep"): trimmed, no empties, no duplicates. */
export function parseTags(text: string): string[] {
  return normaliseTags(text.split(','));
}

function normaliseTags(tags: unknown[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    if (typeof t !== 'string') continue;
    const tag = t.trim().replace(/\s+/g, ' ');
    if (tag && tag.length <= META_LIMITS.tag && !out.includes(tag)) out.push(tag);
  }
  return out.slice(0, META_LIMITS.tags);
}

/** The meta of a run folder; empty when it has none or it is damaged. */
export async function readRunMeta(runDir: string): Promise<RunMeta> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(path.join(runDir, META_FILE), 'utf8'));
  } catch {
    return { tags: [] };
  }
  const m = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (v: unknown, max: number) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : undefined);
  return { name: text(m.name, META_LIMITS.name), tags: Array.isArray(m.tags) ? normaliseTags(m.tags) : [], note: text(m.note, META_LIMITS.note) };
}

/**
 * Changes a run's name, tags or note (a field left undefined keeps its value; an empty name or
 * note removes it). Refuses a folder that is not a run and values above the limits.
 */
export async function updateRunMeta(runDir: string, patch: { name?: string; tags?: string[]; note?: string }): Promise<RunMeta> {
  try {
    await fs.access(path.join(runDir, RUN_FILE));
  } catch {
    throw new UserError(`not a run folder: ${runDir}`);
  }
  if (patch.name !== undefined && patch.name.trim().length > META_LIMITS.name) throw new UserError(`a run name has at most ${META_LIMITS.name} characters`);
  if (patch.note !== undefined && patch.note.length > META_LIMITS.note) throw new UserError(`a note has at most ${META_LIMITS.note} characters`);
  if (patch.tags?.some((t) => t.trim().length > META_LIMITS.tag)) throw new UserError(`a tag has at most ${META_LIMITS.tag} characters`);
  const current = await readRunMeta(runDir);
  const next: RunMeta = {
    name: patch.name !== undefined ? patch.name.trim() || undefined : current.name,
    tags: patch.tags !== undefined ? normaliseTags(patch.tags) : current.tags,
    note: patch.note !== undefined ? patch.note.trim() || undefined : current.note,
  };
  await writeJsonAtomic(path.join(runDir, META_FILE), next);
  return next;
}
