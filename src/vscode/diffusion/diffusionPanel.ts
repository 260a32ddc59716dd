import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isDiffusionPanelState, isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/diffusion/messages';
import { generationView, policyView, type DiffusionView } from '../../panels/diffusion/viewModel';
import { GRID_FILE, gridPngFile, POLICY_CHAIN_FILE, POLICY_SAMPLES_FILE } from '../../core/diffusion/runFiles';
import { readEvents, readRunRecord } from '../../runner/runStore';
import { postFolderView, type RunFolderPanelKind } from '../webview/runFolderPanel';

/** Panel files larger than this are not read (a crafted or foreign run folder). */
const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** Whether a run's kind is one this panel shows. */
function isDiffusionKind(kind: string | undefined): kind is 'diffusion-policy' | 'diffusion' {
  return kind === 'diffusion-policy' || kind === 'diffusion';
}

/**
 * The diffusion lab's results panel for one run: for `diffusion-policy`, data vs sampled actions
 * with a slider over the reverse chain and per-mode bars; for `diffusion`, the sample grid per
 * class at each stage and the distance over training of both schedules, with PNG export of the
 * grids. Hosted by `RunFolderPanel`; the webview persists the run folder for the serializer.
 */
export const DIFFUSION_PANEL: RunFolderPanelKind<WebviewToHost, HostToWebview> = {
  viewType: 'modelLab.diffusion',
  title: 'Diffusion Results',
  bundle: 'diffusion',
  label: 'diffusion panel',
  isMessage: isWebviewToHost,
  restore: (s) => (isDiffusionPanelState(s) && path.isAbsolute(s.runDir) ? [s.runDir] : undefined),
  results: ['diffusion-policy', 'diffusion'],
  update: (panel) => postFolderView(panel, 'a diffusion run folder', loadDiffusionView, (v) => `Diffusion: ${v.experiment}`),
  async handle(panel, m) {
    if (m.type !== 'exportGrid') return;
    const runDir = panel.folders[0];
    const source = path.join(runDir, gridPngFile(m.arm as 'coarse-to-fine' | 'single-scale'));
    const target = await vscode.window.showSaveDialog({
      title: `Export the ${m.arm} sample grid`,
      defaultUri: vscode.Uri.file(path.join(path.dirname(path.dirname(path.dirname(runDir))), `${path.basename(runDir)}-${m.arm}.png`)),
      filters: { 'PNG image': ['png'] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, await fs.readFile(source));
    void vscode.window.showInformationMessage(`Model Lab: saved ${vscode.workspace.asRelativePath(target)}.`);
  },
};

/**
 * A run's view from its folder: the worker writes `events.jsonl` as it goes, so the folder has the
 * whole history even for a run this window reattached to midway.
 */
export async function loadDiffusionView(runDir: string): Promise<DiffusionView | undefined> {
  const record = await readRunRecord(runDir);
  if (!record || !isDiffusionKind(record.kind)) return undefined;
  const events = await readEvents(runDir);
  const header = { runId: record.runId, runDir: path.resolve(runDir), experiment: record.experiment, status: record.status };
  if (record.kind === 'diffusion-policy') {
    return policyView(header, events, await readJson(path.join(runDir, POLICY_SAMPLES_FILE)), await readJson(path.join(runDir, POLICY_CHAIN_FILE)));
  }
  return generationView(header, events, await readJson(path.join(runDir, GRID_FILE)));
}

async function readJson(file: string): Promise<unknown> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
