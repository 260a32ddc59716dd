import * as path from 'node:path';
import * as vscode from 'vscode';
import { META_LIMITS, parseTags, readRunMeta, updateRunMeta } from '../../runner/runMeta';
import type { MetaField } from '../../panels/runsTable/messages';

/**
 * Asks for a run's new name, tags or note (an input box prefilled with the current value) and
 * stores it in the run folder's `meta.json`. Used by the runs table and the Runs view. True when
 * something was saved.
 */
export async function editRunMeta(runDir: string, field: MetaField, log: vscode.LogOutputChannel): Promise<boolean> {
  const meta = await readRunMeta(runDir);
  const run = path.basename(runDir);
  const prompts: Record<MetaField, { title: string; prompt: string; value: string; max: number }> = {
    name: { title: `Name of run ${run}`, prompt: 'A name shown instead of the run id (empty: none)', value: meta.name ?? '', max: META_LIMITS.name },
    tags: { title: `Tags of run ${run}`, prompt: 'Comma-separated tags, e.g. baseline, lr-sweep', value: meta.tags.join(', '), max: META_LIMITS.tags * (META_LIMITS.tag + 2) },
    note: { title: `Note on run ${run}`, prompt: 'A note on this run (empty: none)', value: meta.note ?? '', max: META_LIMITS.note },
  };
  const p = prompts[field];
  const text = await vscode.window.showInputBox({
    title: p.title, prompt: p.prompt, value: p.value, ignoreFocusOut: true,
    validateInput: (v) => (v.length > p.max ? `At most ${p.max} characters` : field === 'tags' && parseTags(v).some((t) => t.length > META_LIMITS.tag) ? `A tag has at most ${META_LIMITS.tag} characters` : undefined),
  });
  if (text === undefined) return false;
  try {
    await updateRunMeta(runDir, field === 'tags' ? { tags: parseTags(text) } : { [field]: text });
    return true;
  } catch (e) {
    log.warn(`editing the ${field} of ${runDir}: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Model Lab: could not save the ${field}: ${(e as Error).message}`);
    return false;
  }
}

/** Runs view: "Edit Name, Tags and Note…" asks which, then edits it. */
export async function pickAndEditRunMeta(runDir: string, log: vscode.LogOutputChannel): Promise<boolean> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: '$(tag) Name', description: 'shown instead of the run id', field: 'name' as const },
      { label: '$(tag) Tags', description: 'comma-separated', field: 'tags' as const },
      { label: '$(note) Note', description: 'free text', field: 'note' as const },
    ],
    { title: `Edit run ${path.basename(runDir)}` },
  );
  return pick ? editRunMeta(runDir, pick.field, log) : false;
}
