import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunManager } from '../runs/runManager';
import type { ExportRequest } from '../../panels/shared/export';
import { saveExport } from '../webview/exportFile';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { ThrottledRefresh } from '../webview/throttledRefresh';

export interface RlPanelDeps {
  extensionUri: vscode.Uri;
  runs: RunManager;
  log: vscode.LogOutputChannel;
}

/** Messages every RL panel's webview sends (each panel's contract has them). */
type CommonMessage =
  | { type: 'ready' }
  | { type: 'cancelRun'; runId: string }
  | { type: 'openExperiment'; runId: string }
  | { type: 'revealRun'; runId: string }
  | { type: 'error'; message: string }
  | ExportRequest;

/** What makes one RL panel: its webview bundle, contract validators, and how it loads and answers. */
export interface RlPanelKind<In extends { type: string }, Out> {
  viewType: string;
  bundle: string;
  title: string;
  /** For log lines. */
  label: string;
  isMessage(m: unknown): m is In;
  isState(s: unknown): s is { runDirs: string[] };
  /** Loads the runs and posts what the webview shows. */
  update(panel: RlPanel<In, Out>): Promise<void>;
  /** Messages besides the common ones (e.g. selectGoal). */
  handle?(panel: RlPanel<In, Out>, m: In): Promise<void>;
}

/** Live events arrive often; the panel reloads at most this often while a run is going. */
const LIVE_UPDATE_MS = 400;

/**
 * The host side shared by the RL panels (skills, offline goal-conditioned RL): one panel per
 * kind showing a set of runs (one, or several compared: METRA vs DIAYN, HIQL vs GCIVL vs GCBC),
 * following live runs through the run manager, restored after a reload from the run folders
 * the webview persisted. The webview only renders; everything it shows comes from run folders.
 */
export class RlPanel<In extends { type: string }, Out> implements vscode.Disposable {
  private static readonly current = new Map<string, RlPanel<never, never>>();
  runDirs: string[];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<In, Out>;
  private readonly refresh = new ThrottledRefresh(() => this.update());
  private ready = false;

  static show<I extends { type: string }, O>(kind: RlPanelKind<I, O>, deps: RlPanelDeps, runDirs: string[], preserveFocus = false): RlPanel<I, O> {
    const open = RlPanel.current.get(kind.viewType) as RlPanel<I, O> | undefined;
    if (open) {
      open.setRuns(runDirs);
      open.panel.reveal(undefined, preserveFocus);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(kind.viewType, kind.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, panelWebviewOptions(deps.extensionUri));
    return new RlPanel(kind, panel, deps, runDirs);
  }

  /** Adds a run to the open panel (a comparison's next run), or opens the panel with it. */
  static add<I extends { type: string }, O>(kind: RlPanelKind<I, O>, deps: RlPanelDeps, runDir: string): void {
    const open = RlPanel.current.get(kind.viewType);
    if (!open) RlPanel.show(kind, deps, [runDir], true);
    else if (!open.runDirs.includes(runDir)) open.setRuns([...open.runDirs, runDir]);
  }

  static serializer<I extends { type: string }, O>(kind: RlPanelKind<I, O>, deps: RlPanelDeps): vscode.WebviewPanelSerializer {
    return {
      async deserializeWebviewPanel(panel, state) {
        panel.webview.options = panelWebviewOptions(deps.extensionUri);
        RlPanel.current.get(kind.viewType)?.panel.dispose();
        new RlPanel(kind, panel, deps, kind.isState(state) ? state.runDirs.filter((d) => path.isAbsolute(d)) : []);
      },
    };
  }

  private constructor(private readonly kind: RlPanelKind<In, Out>, readonly panel: vscode.WebviewPanel, readonly deps: RlPanelDeps, runDirs: string[]) {
    RlPanel.current.set(kind.viewType, this as unknown as RlPanel<never, never>);
    this.runDirs = [...new Set(runDirs)];
    setPanelHtml(panel.webview, deps.extensionUri, kind.bundle, kind.title);
    this.channel = new WebviewChannel(panel.webview, { label: kind.label, log: deps.log, isMessage: kind.isMessage, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => (e.webviewPanel.visible ? this.refresh.schedule(0) : undefined)),
      deps.runs.onDidRunEvent(({ run }) => (this.runDirs.includes(run.runDir) ? this.refresh.schedule(LIVE_UPDATE_MS) : undefined)),
      deps.runs.onDidChangeRuns(() => this.refresh.schedule(50)),
    );
  }

  post(message: Out): Promise<void> {
    return this.channel.post(message);
  }

  /** The folder of a run this panel shows, by id (ids come from the webview: never trusted as paths). */
  runDirOf(runId: string): string | undefined {
    return this.runDirs.find((d) => path.basename(d) === runId);
  }

  private setRuns(runDirs: string[]): void {
    this.runDirs = [...new Set(runDirs)];
    this.refresh.schedule(0);
  }

  private async handle(m: In): Promise<void> {
    const c = m as unknown as CommonMessage;
    const dir = 'runId' in c ? this.runDirOf(c.runId) : undefined;
    switch (c.type) {
      case 'ready':
        this.ready = true;
        await this.update();
        return;
      case 'cancelRun':
        if (dir) this.deps.runs.cancel(dir);
        return;
      case 'openExperiment':
        if (dir) await vscode.commands.executeCommand('modelLab.openRunExperiment', vscode.Uri.file(dir));
        return;
      case 'revealRun':
        if (dir) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path.join(dir, 'run.json')));
        return;
      case 'error':
        this.deps.log.error(`${this.kind.label} webview: ${c.message}`);
        return;
      case 'export':
        await saveExport(c, this.deps.log);
        return;
      default:
        await this.kind.handle?.(this, m);
    }
  }

  private async update(): Promise<void> {
    if (!this.ready || !this.panel.visible) return;
    try {
      await this.kind.update(this);
    } catch (e) {
      this.deps.log.error(`${this.kind.label}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  dispose(): void {
    if (RlPanel.current.get(this.kind.viewType) === (this as unknown)) RlPanel.current.delete(this.kind.viewType);
    this.refresh.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
