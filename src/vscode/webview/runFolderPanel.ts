import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommonWebviewToHost, Notice, RunAction } from '../../panels/shared/messages';
import { registerResultView } from '../runs/resultViews';
import type { RunIndex } from '../runs/runIndex';
import type { RunManager } from '../runs/runManager';
import { saveExport } from './exportFile';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from './panelHost';
import { ThrottledRefresh } from './throttledRefresh';

export interface RunFolderPanelDeps {
  extensionUri: vscode.Uri;
  runs: RunManager;
  index: RunIndex;
  log: vscode.LogOutputChannel;
}

type Message = { type: string };

/**
 * What makes one kind's panel: its view type (the serializer that restores it after a reload is
 * registered under it), title, webview bundle, contract, and how it loads its folders and answers
 * its own messages. The host answers the contract's `CommonWebviewToHost` and `RunAction`.
 */
export interface RunFolderPanelKind<In extends Message, Out extends Message> {
  viewType: string;
  /** The panel's title until its content loads (and the page's title). */
  title: string;
  /** The webview, `dist/webview/<bundle>.js`. */
  bundle: string;
  /** For log lines ("diffusion panel"). */
  label: string;
  /** The contract's validator of what the webview sends. */
  isMessage(m: unknown): m is In;
  /** The folders to show again from the state the webview saved; undefined: nothing to show (the restored panel closes). */
  restore(state: unknown): string[] | undefined;
  /** The experiment kinds whose results this panel is: Run Experiment, Show Results and the Runs view open it (`resultViews`). */
  results?: readonly string[];
  /** Whether it shows several runs side by side (the RL panels); else it shows one folder, the latest asked for. */
  compares?: boolean;
  /** Loads the folders and posts what the webview shows. */
  update(panel: RunFolderPanel<In, Out>): Promise<unknown>;
  /** Its messages besides the common ones. */
  handle?(panel: RunFolderPanel<In, Out>, m: In): Promise<void>;
  /** What reloads it besides becoming visible; default: live events of its runs and the run list (`followRuns`). */
  watch?(panel: RunFolderPanel<In, Out>): vscode.Disposable[];
}

/** Live events arrive often; a panel reloads at most this often while a run is going. */
const LIVE_UPDATE_MS = 500;

/**
 * The host side of the panels of run folders (diffusion, distill, skills, gcrl, sweep): one panel
 * per kind showing one folder (or several runs compared), reloaded from the folders when they
 * change (live runs through the run manager), restored after a reload from the folders the
 * webview persisted. The webview only renders; everything it shows comes from the folders.
 */
export class RunFolderPanel<In extends Message, Out extends Message> implements vscode.Disposable {
  private static readonly shown = new Map<string, RunFolderPanel<Message, Message>>();
  /** The folders shown (absolute): run folders, or a sweep's. */
  folders: string[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<In, Out>;
  private readonly refresh = new ThrottledRefresh(() => this.update());
  private ready = false;

  static show<I extends Message, O extends Message>(kind: RunFolderPanelKind<I, O>, deps: RunFolderPanelDeps, folders: string[], preserveFocus = false): RunFolderPanel<I, O> {
    const open = RunFolderPanel.shown.get(kind.viewType) as RunFolderPanel<I, O> | undefined;
    if (open) {
      open.setFolders(folders);
      open.panel.reveal(undefined, preserveFocus);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(kind.viewType, kind.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, panelWebviewOptions(deps.extensionUri));
    return new RunFolderPanel(kind, panel, deps, folders);
  }

  /** Adds a run to the open panel (a comparison's next run), or opens the panel with it. */
  static add<I extends Message, O extends Message>(kind: RunFolderPanelKind<I, O>, deps: RunFolderPanelDeps, folder: string): void {
    const open = RunFolderPanel.shown.get(kind.viewType);
    if (!open) RunFolderPanel.show(kind, deps, [folder], true);
    else if (!open.folders.includes(path.resolve(folder))) open.setFolders([...open.folders, folder]);
  }

  /** The kind's serializer (restores the panel after a reload) and its result views. */
  static register<I extends Message, O extends Message>(kind: RunFolderPanelKind<I, O>, deps: RunFolderPanelDeps): vscode.Disposable {
    const view = {
      open: (folders: string[], opts?: { preserveFocus?: boolean }) => void RunFolderPanel.show(kind, deps, folders, opts?.preserveFocus),
      ...(kind.compares ? { add: (folder: string) => RunFolderPanel.add(kind, deps, folder) } : {}),
    };
    return vscode.Disposable.from(
      ...(kind.results ?? []).map((k) => registerResultView(k, view)),
      vscode.window.registerWebviewPanelSerializer(kind.viewType, {
        async deserializeWebviewPanel(panel, state) {
          const folders = kind.restore(state);
          if (!folders) {
            panel.dispose();
            return;
          }
          panel.webview.options = panelWebviewOptions(deps.extensionUri);
          RunFolderPanel.shown.get(kind.viewType)?.panel.dispose();
          new RunFolderPanel(kind, panel, deps, folders);
        },
      }),
    );
  }

  private constructor(readonly kind: RunFolderPanelKind<In, Out>, readonly panel: vscode.WebviewPanel, readonly deps: RunFolderPanelDeps, folders: string[]) {
    RunFolderPanel.shown.set(kind.viewType, this as unknown as RunFolderPanel<Message, Message>);
    this.folders = this.normalise(folders);
    this.channel = new WebviewChannel(panel.webview, { label: kind.label, log: deps.log, isMessage: kind.isMessage, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      setPanelHtml(panel, deps.extensionUri, kind.bundle, kind.title, deps.log),
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => (e.webviewPanel.visible ? this.refresh.schedule(0) : undefined)),
      ...(kind.watch ?? followRuns)(this),
    );
  }

  post(message: Out): Promise<void> {
    return this.channel.post(message);
  }

  /** The folder of a run this panel shows, by id (ids come from the webview: never trusted as paths). */
  folderOf(runId: string): string | undefined {
    return this.folders.find((d) => path.basename(d) === runId);
  }

  /** Reloads in `ms` (sooner if asked sooner). */
  refreshIn(ms: number): void {
    this.refresh.schedule(ms);
  }

  private setFolders(folders: string[]): void {
    this.folders = this.normalise(folders);
    this.refresh.schedule(0);
  }

  /** Absolute, each once; the latest only for a panel of one folder. */
  private normalise(folders: string[]): string[] {
    const resolved = [...new Set(folders.map((d) => path.resolve(d)))];
    return this.kind.compares ? resolved : resolved.slice(-1);
  }

  private async handle(m: In): Promise<void> {
    const c = m as unknown as CommonWebviewToHost | RunAction;
    switch (c.type) {
      case 'ready':
        this.ready = true;
        await this.update();
        return;
      case 'error':
        this.deps.log.error(`${this.kind.label} webview: ${c.message}`);
        return;
      case 'export':
        await saveExport(c, this.deps.log);
        return;
      case 'cancelRun':
      case 'openExperiment':
      case 'revealRun': {
        const dir = this.folderOf(c.runId);
        if (!dir) return;
        if (c.type === 'cancelRun') this.deps.runs.cancel(dir);
        else if (c.type === 'openExperiment') await vscode.commands.executeCommand('modelLab.openRunExperiment', vscode.Uri.file(dir));
        else await vscode.commands.executeCommand('modelLab.revealRun', vscode.Uri.file(dir)); // the OS file manager, or the Explorer where there is none
        return;
      }
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
    if (RunFolderPanel.shown.get(this.kind.viewType) === (this as unknown)) RunFolderPanel.shown.delete(this.kind.viewType);
    this.refresh.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Reloads a panel on live events of its runs (progress lines change nothing it shows) and when runs start or end. */
function followRuns<I extends Message, O extends Message>(panel: RunFolderPanel<I, O>): vscode.Disposable[] {
  const { runs } = panel.deps;
  return [
    runs.onDidRunEvent(({ run, event }) => {
      if (event.type !== 'progress' && panel.folders.includes(path.resolve(run.runDir))) panel.refreshIn(LIVE_UPDATE_MS);
    }),
    runs.onDidChangeRuns(() => panel.refreshIn(50)),
  ];
}

/**
 * The update of a panel of one folder: loads the folder's view and posts it (the panel takes its
 * title from it), or posts a notice that the folder is not (or no longer) `what`. The view, if any.
 */
export async function postFolderView<I extends Message, V>(
  panel: RunFolderPanel<I, { type: 'view'; view: V } | Notice>,
  what: string,
  load: (folder: string) => Promise<V | undefined>,
  title: (view: V) => string,
): Promise<V | undefined> {
  const folder = panel.folders[0];
  const view = folder === undefined ? undefined : await load(folder).catch((e: unknown) => {
    panel.deps.log.warn(`${panel.kind.label}: cannot read ${folder}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  });
  if (!view) {
    await panel.post({ type: 'notice', level: 'warning', text: `${folder === undefined ? 'This panel' : path.basename(folder)} is not (or no longer) ${what}` });
    return undefined;
  }
  panel.panel.title = title(view);
  await panel.post({ type: 'view', view });
  return view;
}
