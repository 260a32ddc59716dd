import * as path from 'node:path';
import * as vscode from 'vscode';
import { isSweepPanelState, isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/sweep/messages';
import { sweepView, type SweepView } from '../../panels/sweep/viewModel';
import { slurmView } from '../../runner/slurm';
import { readSweepPlan, sweepDir } from '../../runner/sweepPlan';
import { isSettled, sweepState } from '../../runner/sweepState';
import type { RunIndex } from '../runs/runIndex';
import { saveExport } from '../webview/exportFile';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { ThrottledRefresh } from '../webview/throttledRefresh';

export const SWEEP_VIEW_TYPE = 'modelLab.sweep';

/** While points are queued or running, the sweep is read again this often (Slurm's queue writes no file). */
const POLL_MS = 2000;

export interface SweepPanelDeps {
  extensionUri: vscode.Uri;
  index: RunIndex;
  log: vscode.LogOutputChannel;
}

/**
 * The sweep panel (host side): a sweep's parameters against its points' final metric, as
 * parallel coordinates and one scatter per parameter. It reads the sweep's plan and its points'
 * run folders (and Slurm's queue for a Slurm sweep) with the same `sweepState` as
 * `model-lab sweep --status`, again when the run store changes and every 2 s while points are
 * queued or running; the webview persists the sweep folder for the serializer.
 */
export class SweepPanel implements vscode.Disposable {
  private static current: SweepPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private readonly refresh = new ThrottledRefresh(() => this.update());
  private ready = false;
  private view: SweepView | undefined;

  static show(deps: SweepPanelDeps, dir: string): SweepPanel {
    const current = SweepPanel.current;
    if (current) {
      current.dir = path.resolve(dir);
      current.panel.reveal();
      current.refresh.schedule(0);
      return current;
    }
    const panel = vscode.window.createWebviewPanel(SWEEP_VIEW_TYPE, 'Sweep', vscode.ViewColumn.Beside, panelWebviewOptions(deps.extensionUri));
    return new SweepPanel(panel, deps, dir);
  }

  static revive(panel: vscode.WebviewPanel, deps: SweepPanelDeps, dir: string): SweepPanel {
    panel.webview.options = panelWebviewOptions(deps.extensionUri);
    SweepPanel.current?.panel.dispose();
    return new SweepPanel(panel, deps, dir);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: SweepPanelDeps, private dir: string) {
    SweepPanel.current = this;
    this.dir = path.resolve(dir);
    setPanelHtml(panel.webview, deps.extensionUri, 'sweep', 'Sweep');
    this.channel = new WebviewChannel(panel.webview, { label: 'sweep', log: deps.log, isMessage: isWebviewToHost, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.visible) this.refresh.schedule(0);
      }),
      deps.index.onDidChange(() => this.refresh.schedule(300)),
    );
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        await this.update();
        return;
      case 'openRun': {
        const point = this.view?.points.find((p) => p.runId === m.runId);
        if (point && this.view) await vscode.commands.executeCommand('modelLab.openTimeline', vscode.Uri.file(path.join(path.dirname(this.view.sweepDir), point.runId)));
        return;
      }
      case 'export':
        await saveExport(m, this.deps.log);
        return;
      case 'error':
        this.deps.log.error(`sweep webview: ${m.message}`);
        return;
    }
  }

  private async update(): Promise<void> {
    if (!this.ready || !this.panel.visible) return;
    const view = await loadSweepView(this.dir).catch((e: unknown) => {
      this.deps.log.warn(`sweep panel: cannot read ${this.dir}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    if (!view) {
      await this.channel.post({ type: 'notice', level: 'warning', text: `${path.basename(this.dir)} is not (or no longer) a sweep folder` });
      return;
    }
    this.view = view;
    this.panel.title = `Sweep: ${view.name}`;
    await this.channel.post({ type: 'view', view });
    if (view.points.some((p) => !isSettled(p.status))) this.refresh.schedule(POLL_MS);
  }

  dispose(): void {
    if (SweepPanel.current === this) SweepPanel.current = undefined;
    this.refresh.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** A sweep's view from its folder: the plan, each point's run folder, and Slurm's view of a Slurm sweep's tasks. */
export async function loadSweepView(dir: string): Promise<SweepView> {
  const plan = await readSweepPlan(dir);
  const points = await sweepState(plan, plan.executor === 'slurm' ? await slurmView(plan).catch(() => undefined) : undefined);
  const jobId = plan.slurm?.jobs.at(-1)?.jobId;
  return sweepView({ sweepId: plan.sweepId, sweepDir: sweepDir(plan), name: plan.name, executor: plan.executor, ...(jobId ? { jobId } : {}), points });
}

/** Restores the panel after a window reload from the sweep folder the webview saved. */
export class SweepPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly deps: SweepPanelDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (isSweepPanelState(state) && path.isAbsolute(state.sweepDir)) SweepPanel.revive(panel, this.deps, state.sweepDir);
    else panel.dispose();
  }
}
