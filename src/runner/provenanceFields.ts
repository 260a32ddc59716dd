import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Params } from '../core/runs/compare';

/** `provenance.json` in a run folder (written by `runner/provenance.ts`). */
export const PROVENANCE_FILE = 'provenance.json';

/** What these fields are read from: `provenance.json` (its full type is `Provenance` in `runner/provenance.ts`, which imports this file). */
interface ProvenanceRecord {
  git?: { commit?: unknown; dirty?: unknown };
  modelLab?: unknown;
  node?: unknown;
  tfjs?: unknown;
  backend?: unknown;
  threads?: unknown;
  platform?: unknown;
  seed?: unknown;
  files?: { pointer?: unknown; sha256?: unknown; error?: unknown }[];
  resumes?: unknown[];
}

/**
 * A run's provenance as comparable fields, for the runs table's columns, `runs list` and
 * `runs diff`: `git.commit`, `git.dirty`, `modelLab`, `node`, `tfjs`, `backend`, `threads`, `platform`,
 * `seed`, `data.sha256` (one hash over the input files: the file's own SHA-256 when there is one
 * file, else the SHA-256 of the lines "pointer sha256", sorted), and `data[<pointer>]` per file
 * (which input changed). The start's environment (a resumed run adds `resumes`); the resolved
 * experiment is the run's config, compared there. Read tolerantly: what does not fit is left out.
 * Kept free of TensorFlow.js (the extension host reads it).
 */
export function provenanceFields(p: unknown, recordBackend?: string): Params {
  const out: Params = {};
  if (typeof p !== 'object' || p === null) return out;
  const r = p as ProvenanceRecord;
  const str = (k: string, v: unknown) => {
    if (typeof v === 'string' && v) out[k] = v;
  };
  if (r.git && typeof r.git.commit === 'string') {
    out['git.commit'] = r.git.commit;
    if (typeof r.git.dirty === 'boolean') out['git.dirty'] = r.git.dirty;
  }
  str('modelLab', r.modelLab);
  str('node', r.node);
  str('tfjs', r.tfjs);
  str('backend', r.backend ?? recordBackend);
  if (typeof r.threads === 'number' && Number.isInteger(r.threads)) out.threads = r.threads;
  str('platform', r.platform);
  if (typeof r.seed === 'number' && Number.isFinite(r.seed)) out.seed = r.seed;
  const files = (Array.isArray(r.files) ? r.files : []).flatMap((f) =>
    typeof f?.pointer === 'string' ? [{ pointer: f.pointer, sha256: typeof f.sha256 === 'string' ? f.sha256 : undefined, error: String(f.error ?? 'unknown') }] : []);
  if (files.length === 1 && files[0].sha256) out['data.sha256'] = files[0].sha256;
  else if (files.length > 1) {
    const lines = files.map((f) => `${f.pointer} ${f.sha256 ?? 'unreadable'}`).sort();
    out['data.sha256'] = createHash('sha256').update(lines.join('\n')).digest('hex');
  }
  for (const f of files) out[`data[${f.pointer}]`] = f.sha256 ?? `unreadable (${f.error})`;
  if (Array.isArray(r.resumes) && r.resumes.length) out.resumes = r.resumes.length;
  return out;
}

/** The provenance fields of a run folder; undefined when it has no readable `provenance.json`. */
export async function readProvenanceFields(runDir: string, recordBackend?: string): Promise<Params | undefined> {
  try {
    return provenanceFields(JSON.parse(await fs.readFile(path.join(runDir, PROVENANCE_FILE), 'utf8')), recordBackend);
  } catch {
    return undefined;
  }
}
