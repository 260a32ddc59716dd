import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunManager } from '../runs/runManager';
import { isTimelineState, isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/timeline/messages';
import type { TimelineRun } from '../../panels/timeline/viewModel';
import { differingFields } from '../../core/runs/compare';
import { runParams } from '../../runner/runCatalog';
import { loadTimelineRun } from './timelineSource';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { saveExport } from '../webview/exportFile';
import { LIVE_CADENCE_MS, PROMPT_RUN_EVENTS, ThrottledRefresh } from '../webview/throttledRefresh';

export const TIMELINE_VIEW_TYPE = 'modelLab.timeline';

export interface TimelineDeps {
  extensionUri: vscode.Uri;
  runs: RunManager;
  log: vscode.LogOutputChannel;
}

/**
 * The freezing timeline panel (host side). One panel shows a set of runs (one run, or the
 * runs of a policy comparison, overlaid). It reloads a run from disk when it ends and follows
 * live runs through the run manager. The webview persists the run folders with `setState`, so
 * the serializer below brings the panel back after a window reload.
 */
export class TimelinePanel implements vscode.Disposable {
  private static current: TimelinePanel | undefined;
  private runDirs: string[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private readonly refresh = new ThrottledRefresh(() => this.update());
  private ready = false;

  /** Shows `runDirs` in the timeline panel (creating it, or replacing what it shows). */
  static show(deps: TimelineDeps, runDirs: string[], preserveFocus = false): TimelinePanel {
    if (TimelinePanel.current) {
      TimelinePanel.current.setRuns(runDirs);
      TimelinePanel.current.panel.reveal(undefined, preserveFocus);
      return TimelinePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      TIMELINE_VIEW_TYPE,
      'Freezing Timeline',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      panelWebviewOptions(deps.extensionUri),
    );
    return new TimelinePanel(panel, deps, runDirs);
  }

  /** Adds a run to the panel if it is open (used by Compare Policies as each run starts). */
  static addRun(deps: TimelineDeps, runDir: string): void {
    const p = TimelinePanel.current;
    if (!p) TimelinePanel.show(deps, [runDir], true);
    else if (!p.runDirs.includes(runDir)) p.setRuns([...p.runDirs, runDir]);
  }

  static revive(panel: vscode.WebviewPanel, deps: TimelineDeps, runDirs: string[]): TimelinePanel {
    panel.webview.options = panelWebviewOptions(deps.extensionUri);
    TimelinePanel.current?.panel.dispose();
    return new TimelinePanel(panel, deps, runDirs);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: TimelineDeps, runDirs: string[]) {
    TimelinePanel.current = this;
    this.runDirs = unique(runDirs);
    panel.iconPath = {
      light: vscode.Uri.joinPath(deps.extensionUri, 'media', 'timeline-light.svg'),
      dark: vscode.Uri.joinPath(deps.extensionUri, 'media', 'timeline-dark.svg'),
    };
    this.channel = new WebviewChannel(panel.webview, { label: 'timeline', log: deps.log, isMessage: isWebviewToHost, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      setPanelHtml(panel, deps.extensionUri, 'timeline', 'Freezing Timeline', deps.log),
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.visible) this.refresh.schedule(0);
      }),
      deps.runs.onDidRunEvent(({ run, event }) => {
        // A run's progress (steps, epochs, checkpoints: many a second on a small model) at the
        // live cadence (coalesced: a step or epoch event can come every few milliseconds); what
        // changes what the run is (it started, a layer froze, it ended) at once.
        if (this.runDirs.includes(run.runDir)) this.refresh.schedule(PROMPT_RUN_EVENTS.has(event.type) ? 50 : LIVE_CADENCE_MS);
      }),
      deps.runs.onDidChangeRuns(() => this.refresh.schedule(50)),
    );
  }

  private setRuns(runDirs: string[]): void {
    this.runDirs = unique(runDirs);
    this.refresh.schedule(0);
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        await this.update();
        return;
      case 'cancelRun': {
        const dir = this.runDirs.find((d) => path.basename(d) === m.runId);
        if (dir) await vscode.commands.executeCommand('modelLab.cancelRun', vscode.Uri.file(dir));
        return;
      }
      case 'openExperiment': {
        const dir = this.runDirs.find((d) => path.basename(d) === m.runId);
        if (dir) await vscode.commands.executeCommand('modelLab.openRunExperiment', vscode.Uri.file(dir));
        return;
      }
      case 'revealRun': {
        const dir = this.runDirs.find((d) => path.basename(d) === m.runId);
        if (dir) await vscode.commands.executeCommand('modelLab.revealRun', vscode.Uri.file(dir));
        return;
      }
      case 'export':
        await saveExport(m, this.deps.log);
        return;
      case 'error':
        this.deps.log.error(`timeline webview: ${m.message}`);
        return;
    }
  }

  private async update(): Promise<void> {
    if (!this.ready || !this.panel.visible) return;
    const loaded = await Promise.all(this.runDirs.map((d) => loadTimelineRun(d, this.deps.runs).catch(() => undefined)));
    const runs = loaded.filter((r): r is TimelineRun => r !== undefined);
    const missing = this.runDirs.filter((_, i) => !loaded[i]);
    const experiments = unique(runs.map((r) => r.experiment).filter(Boolean));
    const title = experiments.length ? experiments.join(', ') : 'Freezing Timeline';
    this.panel.title = runs.length > 1 ? `Timeline: ${title} (${runs.length} runs)` : `Timeline: ${title}`;
    // Overlaid runs: the configuration fields in which they differ (only those).
    const configDiff = runs.length > 1
      ? differingFields(await Promise.all(runs.map((r) => runParams(r.runDir)))).map((f) => ({ path: f.path, values: f.values.map((v) => v ?? null) }))
      : undefined;
    await this.post({ type: 'runs', title, runs, ...(configDiff ? { configDiff } : {}) });
    if (missing.length) {
      await this.post({ type: 'notice', level: 'warning', text: `${missing.length} run folder(s) no longer exist: ${missing.map((d) => path.basename(d)).join(', ')}` });
    }
  }

  private post(message: HostToWebview): Promise<void> {
    return this.channel.post(message);
  }

  dispose(): void {
    if (TimelinePanel.current === this) TimelinePanel.current = undefined;
    this.refresh.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Restores the timeline after a window reload from the run folders the webview saved. */
export class TimelineSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly deps: TimelineDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const runDirs = isTimelineState(state) ? state.runDirs.filter((d) => path.isAbsolute(d)) : [];
    TimelinePanel.revive(panel, this.deps, runDirs);
  }
}
