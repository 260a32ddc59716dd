import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isDiffusionPanelState, isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/diffusion/messages';
import { generationView, policyView, type DiffusionView } from '../../panels/diffusion/viewModel';
import { GRID_FILE, gridPngFile, POLICY_CHAIN_FILE, POLICY_SAMPLES_FILE } from '../../core/diffusion/runFiles';
import { readEvents, readRunRecord } from '../../runner/runStore';
import type { RunManager } from '../runs/runManager';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { saveExport } from '../webview/exportFile';
import { ThrottledRefresh } from '../webview/throttledRefresh';

export const DIFFUSION_VIEW_TYPE = 'modelLab.diffusion';

/** Live measurements are coalesced (a loss event comes every 50 steps). */
const LIVE_UPDATE_MS = 500;
/** Panel files larger than this are not read (a crafted or foreign run folder). */
const MAX_FILE_BYTES = 32 * 1024 * 1024;

export interface DiffusionPanelDeps {
  extensionUri: vscode.Uri;
  runs: RunManager;
  log: vscode.LogOutputChannel;
}

/** Whether a run's kind is one this panel shows. */
export function isDiffusionKind(kind: string | undefined): kind is 'diffusion-policy' | 'diffusion' {
  return kind === 'diffusion-policy' || kind === 'diffusion';
}

/**
 * The diffusion lab's results panel (host side) for one run: for `diffusion-policy`, data vs
 * sampled actions with a slider over the reverse chain and per-mode bars; for `diffusion`, the
 * sample grid per class at each stage and the distance over training of both schedules, with
 * PNG export of the grids. It follows a live run through the run manager and reloads the run's
 * folder when it changes; the webview persists the run folder for the serializer.
 */
export class DiffusionPanel implements vscode.Disposable {
  private static current: DiffusionPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private readonly refresh = new ThrottledRefresh(() => this.update());
  private ready = false;

  static show(deps: DiffusionPanelDeps, runDir: string, preserveFocus = false): DiffusionPanel {
    const current = DiffusionPanel.current;
    if (current) {
      current.runDir = path.resolve(runDir);
      current.panel.reveal(undefined, preserveFocus);
      current.refresh.schedule(0);
      return current;
    }
    const panel = vscode.window.createWebviewPanel(DIFFUSION_VIEW_TYPE, 'Diffusion Results', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, panelWebviewOptions(deps.extensionUri));
    return new DiffusionPanel(panel, deps, runDir);
  }

  static revive(panel: vscode.WebviewPanel, deps: DiffusionPanelDeps, runDir: string): DiffusionPanel {
    panel.webview.options = panelWebviewOptions(deps.extensionUri);
    DiffusionPanel.current?.panel.dispose();
    return new DiffusionPanel(panel, deps, runDir);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: DiffusionPanelDeps, private runDir: string) {
    DiffusionPanel.current = this;
    this.runDir = path.resolve(runDir);
    setPanelHtml(panel.webview, deps.extensionUri, 'diffusion', 'Diffusion Results');
    this.channel = new WebviewChannel(panel.webview, { label: 'diffusion', log: deps.log, isMessage: isWebviewToHost, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.visible) this.refresh.schedule(0);
      }),
      deps.runs.onDidRunEvent(({ run, event }) => {
        if (path.resolve(run.runDir) === this.runDir && event.type !== 'progress') this.refresh.schedule(LIVE_UPDATE_MS);
      }),
      deps.runs.onDidChangeRuns(() => this.refresh.schedule(50)),
    );
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        await this.update();
        return;
      case 'exportGrid': {
        const source = path.join(this.runDir, gridPngFile(m.arm as 'coarse-to-fine' | 'single-scale'));
        const target = await vscode.window.showSaveDialog({
          title: `Export the ${m.arm} sample grid`,
          defaultUri: vscode.Uri.file(path.join(path.dirname(path.dirname(path.dirname(this.runDir))), `${path.basename(this.runDir)}-${m.arm}.png`)),
          filters: { 'PNG image': ['png'] },
        });
        if (!target) return;
        await vscode.workspace.fs.writeFile(target, await fs.readFile(source));
        void vscode.window.showInformationMessage(`Model Lab: saved ${vscode.workspace.asRelativePath(target)}.`);
        return;
      }
      case 'export':
        await saveExport(m, this.deps.log);
        return;
      case 'error':
        this.deps.log.error(`diffusion webview: ${m.message}`);
        return;
    }
  }

  private async update(): Promise<void> {
    if (!this.ready || !this.panel.visible) return;
    const view = await loadDiffusionView(this.runDir).catch((e: unknown) => {
      this.deps.log.warn(`diffusion panel: cannot read ${this.runDir}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    if (!view) {
      await this.channel.post({ type: 'notice', level: 'warning', text: `${path.basename(this.runDir)} is not (or no longer) a diffusion run folder` });
      return;
    }
    this.panel.title = `Diffusion: ${view.experiment}`;
    await this.channel.post({ type: 'view', view });
  }

  dispose(): void {
    if (DiffusionPanel.current === this) DiffusionPanel.current = undefined;
    this.refresh.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

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

/** Restores the panel after a window reload from the run folder the webview saved. */
export class DiffusionPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly deps: DiffusionPanelDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (isDiffusionPanelState(state) && path.isAbsolute(state.runDir)) DiffusionPanel.revive(panel, this.deps, state.runDir);
    else panel.dispose();
  }
}
