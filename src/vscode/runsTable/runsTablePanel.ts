import * as path from 'node:path';
import * as vscode from 'vscode';
import { runEntry, type RunEntry } from '../../runner/runCatalog';
import { isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/runsTable/messages';
import { runsTableModel } from '../../panels/runsTable/viewModel';
import type { RunIndex } from '../runs/runIndex';
import { TimelinePanel, type TimelineDeps } from '../timeline/timelinePanel';
import { saveExport } from '../webview/exportFile';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { editRunMeta } from './editRunMeta';

export const RUNS_TABLE_VIEW_TYPE = 'modelLab.runsTable';

export interface RunsTableDeps extends TimelineDeps {
  index: RunIndex;
}

/** Changes on disk come in bursts (a run writes run.json and summary.json together). */
const RELOAD_MS = 300;

/**
 * The runs table (host side): every run of the workspace's run stores, as `runs list` sees them
 * (`runner/runCatalog.ts`), in a webview editor that sorts, filters and selects. The table reloads
 * when the run store changes; Compare opens the selected runs in one timeline; edits of a run's
 * name, tags and note go to its folder's `meta.json`.
 */
export class RunsTablePanel implements vscode.Disposable {
  private static current: RunsTablePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private entries = new Map<string, RunEntry>();
  private ready = false;
  private pending: NodeJS.Timeout | undefined;

  static show(deps: RunsTableDeps): RunsTablePanel {
    if (RunsTablePanel.current) {
      RunsTablePanel.current.panel.reveal();
      RunsTablePanel.current.reloadSoon(0);
      return RunsTablePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(RUNS_TABLE_VIEW_TYPE, 'Runs', vscode.ViewColumn.Active, panelWebviewOptions(deps.extensionUri));
    return new RunsTablePanel(panel, deps);
  }

  static revive(panel: vscode.WebviewPanel, deps: RunsTableDeps): RunsTablePanel {
    panel.webview.options = panelWebviewOptions(deps.extensionUri);
    RunsTablePanel.current?.panel.dispose();
    return new RunsTablePanel(panel, deps);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: RunsTableDeps) {
    RunsTablePanel.current = this;
    this.channel = new WebviewChannel(panel.webview, { label: 'runs table', log: deps.log, isMessage: isWebviewToHost, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      setPanelHtml(panel, deps.extensionUri, 'runsTable', 'Runs', deps.log),
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      deps.index.onDidChange(() => this.reloadSoon(RELOAD_MS)),
    );
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        await this.reload();
        return;
      case 'refresh':
        this.deps.index.invalidate();
        await this.reload();
        return;
      case 'compare':
        await this.compare(m.runDirs.filter((d) => this.entries.has(d)));
        return;
      case 'edit':
        if (this.entries.has(m.runDir) && (await editRunMeta(m.runDir, m.field, this.deps.log))) {
          this.deps.index.invalidate();
          await this.reload();
        }
        return;
      case 'reveal':
        if (this.entries.has(m.runDir)) await vscode.commands.executeCommand('modelLab.revealRun', vscode.Uri.file(m.runDir));
        return;
      case 'export':
        await saveExport(m, this.deps.log);
        return;
      case 'error':
        this.deps.log.error(`runs table webview: ${m.message}`);
        return;
    }
  }

  /** One run: its timeline (or results); several: their timelines overlaid (train runs have timelines). */
  private async compare(runDirs: string[]): Promise<void> {
    if (runDirs.length === 1) {
      await vscode.commands.executeCommand('modelLab.openTimeline', vscode.Uri.file(runDirs[0]));
      return;
    }
    const train = runDirs.filter((d) => this.entries.get(d)?.kind === 'train');
    if (train.length < runDirs.length) {
      void vscode.window.showInformationMessage(`Model Lab: ${runDirs.length - train.length} of the selected runs are not training runs; the timeline overlays the ${train.length} that are.`);
    }
    if (train.length) TimelinePanel.show(this.deps, train);
  }

  private reloadSoon(delayMs: number): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.reload();
    }, delayMs);
  }

  private async reload(): Promise<void> {
    if (!this.ready) return;
    const started = Date.now();
    const records = await this.deps.index.workspaceRuns();
    const unique = [...new Map(records.map((r) => [path.resolve(r.runDir), r])).values()];
    const entries = await Promise.all(unique.map(runEntry));
    entries.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    this.entries = new Map(entries.map((e) => [e.runDir, e]));
    const model = runsTableModel(entries);
    this.panel.title = `Runs (${entries.length})`;
    await this.channel.post({ type: 'table', model });
    this.deps.log.debug(`runs table: ${entries.length} runs loaded in ${Date.now() - started} ms`);
  }

  dispose(): void {
    if (RunsTablePanel.current === this) RunsTablePanel.current = undefined;
    if (this.pending) clearTimeout(this.pending);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Restores the runs table after a window reload (the webview keeps its sort, filter and selection in its state; the host sends the rows again on 'ready', as when a hidden tab is shown again; a page whose bundle failed to load is set again: see `setPanelHtml`). */
export class RunsTableSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly deps: RunsTableDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    RunsTablePanel.revive(panel, this.deps);
  }
}
