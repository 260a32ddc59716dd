import * as path from 'node:path';
import * as vscode from 'vscode';
import { isDistillPanelState, isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/distill/messages';
import { distillView, type DistillView } from '../../panels/distill/viewModel';
import { readEvents, readRunRecord } from '../../runner/runStore';
import type { RunManager } from '../runs/runManager';
import { registerResultView } from '../runs/resultViews';
import { saveExport } from '../webview/exportFile';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { ThrottledRefresh } from '../webview/throttledRefresh';

export const DISTILL_VIEW_TYPE = 'modelLab.distill';

/** Live loss points arrive often; the panel reloads at most this often while a run is going. */
const LIVE_UPDATE_MS = 500;

export interface DistillPanelDeps {
  extensionUri: vscode.Uri;
  runs: RunManager;
  log: vscode.LogOutputChannel;
}

/**
 * The distillation panel (host side) for one `distill` run: loss lanes per stage, the arms next
 * to the teacher, the synthetic gallery and the batch-norm match of data-free arms. Everything
 * comes from the run folder (`events.jsonl`), so a live run, a reattached one and a finished one
 * show the same; it follows a live run through the run manager. Opened by Run Experiment, Show
 * Results and the Runs view (a `resultViews` entry for the kind); restored after a reload from
 * the run folder the webview persisted.
 */
export class DistillPanel implements vscode.Disposable {
  private static current: DistillPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private readonly refresh = new ThrottledRefresh(() => this.update());
  private ready = false;

  static show(deps: DistillPanelDeps, runDir: string, preserveFocus = false): DistillPanel {
    const current = DistillPanel.current;
    if (current) {
      current.runDir = path.resolve(runDir);
      current.panel.reveal(undefined, preserveFocus);
      current.refresh.schedule(0);
      return current;
    }
    const panel = vscode.window.createWebviewPanel(DISTILL_VIEW_TYPE, 'Distillation', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, panelWebviewOptions(deps.extensionUri));
    return new DistillPanel(panel, deps, runDir);
  }

  static revive(panel: vscode.WebviewPanel, deps: DistillPanelDeps, runDir: string): DistillPanel {
    panel.webview.options = panelWebviewOptions(deps.extensionUri);
    DistillPanel.current?.panel.dispose();
    return new DistillPanel(panel, deps, runDir);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: DistillPanelDeps, private runDir: string) {
    DistillPanel.current = this;
    this.runDir = path.resolve(runDir);
    setPanelHtml(panel.webview, deps.extensionUri, 'distill', 'Distillation');
    this.channel = new WebviewChannel(panel.webview, { label: 'distill', log: deps.log, isMessage: isWebviewToHost, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => (e.webviewPanel.visible ? this.refresh.schedule(0) : undefined)),
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
      case 'cancelRun':
        this.deps.runs.cancel(this.runDir);
        return;
      case 'openExperiment':
        await vscode.commands.executeCommand('modelLab.openRunExperiment', vscode.Uri.file(this.runDir));
        return;
      case 'export':
        await saveExport(m, this.deps.log);
        return;
      case 'error':
        this.deps.log.error(`distill webview: ${m.message}`);
        return;
    }
  }

  private async update(): Promise<void> {
    if (!this.ready || !this.panel.visible) return;
    const view = await loadDistillView(this.runDir).catch((e: unknown) => {
      this.deps.log.warn(`distill panel: cannot read ${this.runDir}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    if (!view) {
      await this.channel.post({ type: 'notice', level: 'warning', text: `${path.basename(this.runDir)} is not (or no longer) a distill run folder` });
      return;
    }
    this.panel.title = `Distillation: ${view.experiment}`;
    await this.channel.post({ type: 'view', view });
  }

  dispose(): void {
    if (DistillPanel.current === this) DistillPanel.current = undefined;
    this.refresh.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** A distill run's view from its folder (the job writes `events.jsonl` as it goes). */
export async function loadDistillView(runDir: string): Promise<DistillView | undefined> {
  const record = await readRunRecord(runDir);
  if (!record || record.kind !== 'distill') return undefined;
  const events = await readEvents(runDir);
  return distillView({ runId: record.runId, runDir: path.resolve(runDir), experiment: record.experiment, status: record.status, ...(record.message ? { message: record.message } : {}) }, events);
}

/** The panel as the `distill` kind's result view, and its serializer (restored after a reload). */
export function registerDistillPanel(deps: DistillPanelDeps): vscode.Disposable {
  return vscode.Disposable.from(
    registerResultView('distill', { open: (runDirs, opts) => void DistillPanel.show(deps, runDirs[runDirs.length - 1], opts?.preserveFocus) }),
    vscode.window.registerWebviewPanelSerializer(DISTILL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        if (isDistillPanelState(state) && path.isAbsolute(state.runDir)) DistillPanel.revive(panel, deps, state.runDir);
        else panel.dispose();
      },
    }),
  );
}
