import * as path from 'node:path';
import * as vscode from 'vscode';

import { isUserError } from '../../core/errors';
import { describeEstimate } from '../../core/reward/estimate';
import type { ConfirmationNeeded, DifferenceResult, JobErrorInfo, JobProgress, MatrixResult } from '../../runner/jobProtocol';
import { JobCancelledError, JobFailedError, JobProcess } from '../../runner/jobProcess';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { saveExport } from '../webview/exportFile';
import { isRewardsPanelState, isWebviewToHost, type CompareSettings, type HostToWebview, type PanelTheme, type WebviewToHost } from '../../panels/rewards/messages';
import { differenceMessage, errorMessage, matrixMessage, panelTitle, settingsLabel } from '../../panels/rewards/viewModel';

export const REWARDS_VIEW_TYPE = 'modelLab.rewards';

export interface RewardsDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** Problems found in rewards files, shown in the file and the Problems view. */
  diagnostics: vscode.DiagnosticCollection;
}

/** A failure as the panel reports it: where (for the diagnostic) and a one-line form for the log. */
type ErrorInfo = JobErrorInfo & { formatted: string };

/**
 * The reward-comparison panel (host side): one panel per `*.rewards.json`. It computes the
 * pairwise distance matrix for the chosen canonicalisation / normalisation / metric as jobs in
 * its own runner process (`JobProcess`; nothing is computed on the extension host's thread),
 * sends the heatmap spec to the webview, computes the per-pair difference when a cell is
 * clicked, and recomputes when the file is saved. A comparison above the soft size limit
 * (`core/reward/estimate.ts`) is computed only after the user agreed in a modal dialog that
 * shows the estimate; in Restricted Mode it is refused, as are learned reward models. The
 * webview keeps the file URI and settings with `setState`, so the serializer restores the
 * panel on reload.
 */
export class RewardsPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, RewardsPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private readonly jobs: JobProcess;
  /** The running matrix job (a newer request or the panel's closing cancels it). */
  private matrixJob: AbortController | undefined;
  private differenceJob: AbortController | undefined;
  /** Sizes (with the canonicalisation) the user agreed to compute above the soft limit. */
  private readonly confirmed = new Set<string>();
  private theme: PanelTheme | undefined;
  private ready = false;
  private generation = 0;
  private matrix: { result: MatrixResult; settings: CompareSettings } | undefined;
  private selected: { row: number; col: number } | undefined;
  private difference: DifferenceResult | undefined;
  private lastError: ErrorInfo | undefined;

  static show(deps: RewardsDeps, file: vscode.Uri, settings: CompareSettings): RewardsPanel {
    const existing = RewardsPanel.panels.get(file.toString());
    if (existing) {
      existing.panel.reveal();
      if (!sameSettings(existing.settings, settings)) existing.setSettings(settings);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(REWARDS_VIEW_TYPE, panelTitle(path.basename(file.fsPath)), vscode.ViewColumn.Beside, webviewOptions(deps.extensionUri));
    return new RewardsPanel(panel, deps, file, settings);
  }

  static revive(panel: vscode.WebviewPanel, deps: RewardsDeps, file: vscode.Uri, settings: CompareSettings): RewardsPanel {
    panel.webview.options = webviewOptions(deps.extensionUri);
    RewardsPanel.panels.get(file.toString())?.panel.dispose();
    return new RewardsPanel(panel, deps, file, settings);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: RewardsDeps, private readonly file: vscode.Uri, private settings: CompareSettings) {
    RewardsPanel.panels.set(file.toString(), this);
    this.jobs = new JobProcess({
      label: 'reward comparison',
      workerScript: vscode.Uri.joinPath(deps.extensionUri, 'dist', 'runWorker.js').fsPath,
      onLog: (level, line) => deps.log[level](`rewards: ${line}`),
    });
    // Started at once: loading the job code takes a few seconds the first computation need not wait for.
    this.jobs.warmUp();
    panel.title = panelTitle(path.basename(file.fsPath));
    this.channel = new WebviewChannel(panel.webview, { label: 'rewards', log: deps.log, isMessage: isWebviewToHost, onMessage: (m) => this.handle(m) });
    this.disposables.push(
      setPanelHtml(panel, deps.extensionUri, 'rewards', panel.title, deps.log),
      this.channel,
      panel.onDidDispose(() => this.dispose()),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (doc.uri.toString() === file.toString()) void this.compute();
      }),
      // What Restricted Mode refused (a large comparison, a learned reward) may now be computed.
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.compute()),
    );
  }

  private get fileName(): string {
    return path.basename(this.file.fsPath);
  }

  private setSettings(settings: CompareSettings): void {
    this.settings = settings;
    void this.post({ type: 'init', state: { file: this.file.toString(), settings }, fileName: this.fileName });
    void this.compute();
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.theme = m.theme;
        await this.post({ type: 'init', state: { file: this.file.toString(), settings: this.settings }, fileName: this.fileName });
        // A webview re-created after being hidden gets the last result again, not a recomputation
        // (saves are watched, so the result is current).
        if (this.matrix && sameSettings(this.matrix.settings, this.settings)) await this.repost();
        else await this.compute();
        return;
      case 'theme':
        this.theme = m.theme;
        await this.repost();
        return;
      case 'settings':
        if (sameSettings(m.settings, this.settings)) return;
        this.settings = m.settings;
        await this.compute();
        return;
      case 'selectPair':
        if (!this.matrix || m.row >= this.matrix.result.names.length || m.col >= this.matrix.result.names.length) return;
        this.selected = { row: m.row, col: m.col };
        await this.computeDifference(this.generation);
        return;
      case 'openFile':
        await this.openFile();
        return;
      case 'export':
        await saveExport(m, this.deps.log);
        return;
      case 'error':
        this.deps.log.error(`rewards webview: ${m.message}`);
        return;
    }
  }

  /** Recomputes the distance matrix (and the selected pair's difference) for the current settings. */
  private async compute(): Promise<void> {
    if (!this.ready) return;
    const generation = ++this.generation;
    const settings = this.settings;
    this.matrixJob?.abort();
    this.differenceJob?.abort();
    const abort = new AbortController();
    this.matrixJob = abort;
    const busy = `Computing ${settingsLabel(settings)} distances…`;
    await this.post({ type: 'busy', what: 'matrix', text: busy });
    const onProgress = (p: JobProgress): void => {
      if (generation === this.generation && p.fraction !== undefined) void this.post({ type: 'busy', what: 'matrix', text: `${busy} ${Math.floor(p.fraction * 100)}%` });
    };
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(this.file));
      const request = { kind: 'rewards-matrix', file: this.file.fsPath, text, settings, restricted: !vscode.workspace.isTrusted } as const;
      let outcome = await this.jobs.run(request, { signal: abort.signal, onProgress });
      if ('confirm' in outcome) {
        if (!(await this.confirm(outcome, settings))) {
          if (generation === this.generation) {
            await this.post({ type: 'error', text: `Not computed: this comparison needs ${describeEstimate(outcome.confirm.estimate)} (estimated). Change a setting or save the file to be asked again.` });
          }
          return;
        }
        if (generation !== this.generation) return;
        outcome = await this.jobs.run({ ...request, confirmed: true }, { signal: abort.signal, onProgress });
        if ('confirm' in outcome) return;
      }
      if (generation !== this.generation) return;
      const result = outcome;
      const names = result.names;
      this.deps.log.info(`rewards: ${this.fileName} ${names.length} rewards, ${result.states} states x ${result.actions} actions, ${settingsLabel(settings)}: ${(result.seconds * 1000).toFixed(1)} ms in the runner process`);
      this.matrix = { result, settings };
      this.lastError = undefined;
      this.deps.diagnostics.delete(this.file);
      if (this.selected && (this.selected.row >= names.length || this.selected.col >= names.length)) this.selected = undefined;
      this.difference = undefined;
      await this.repost();
      if (this.selected) await this.computeDifference(generation);
    } catch (e) {
      if (generation === this.generation) await this.fail(e);
    }
  }

  /** Asks before a comparison above the soft limit (once per size and canonicalisation). */
  private async confirm(c: ConfirmationNeeded, settings: CompareSettings): Promise<boolean> {
    const { size } = c.confirm;
    const key = [settings.canon, size.states, size.actions, size.rewards, size.learned].join(':');
    if (this.confirmed.has(key)) return true;
    const choice = await vscode.window.showWarningMessage(
      `Model Lab: compare ${size.rewards} rewards on ${size.states} states × ${size.actions} actions?`,
      { modal: true, detail: `This comparison needs ${describeEstimate(c.confirm.estimate)} (estimated). It runs in a separate process; closing the panel stops it.` },
      'Compute',
    );
    if (choice !== 'Compute') return false;
    this.confirmed.add(key);
    return true;
  }

  private async computeDifference(generation: number): Promise<void> {
    const sel = this.selected;
    if (!sel || !this.matrix) return;
    const settings = this.matrix.settings;
    const names = this.matrix.result.names;
    this.differenceJob?.abort();
    const abort = new AbortController();
    this.differenceJob = abort;
    await this.post({ type: 'busy', what: 'difference', text: `Computing ${names[sel.row]} − ${names[sel.col]}…` });
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(this.file));
      const result = await this.jobs.run(
        { kind: 'rewards-difference', file: this.file.fsPath, text, settings, restricted: !vscode.workspace.isTrusted, ...sel },
        { signal: abort.signal },
      );
      if (generation !== this.generation || this.selected !== sel) return;
      this.difference = result;
      await this.repost();
    } catch (e) {
      if (generation === this.generation && this.selected === sel) await this.fail(e);
    }
  }

  private async fail(e: unknown): Promise<void> {
    if (e instanceof JobCancelledError) return;
    const info: ErrorInfo = isUserError(e)
      ? { message: e.message, user: true, file: e.file, line: e.line, column: e.column, pointer: e.pointer, formatted: e.format() }
      : e instanceof JobFailedError
        ? { ...e.info, formatted: e.info.message }
        : e instanceof vscode.FileSystemError
          ? // The file was deleted or moved while the panel was open: the user's problem, not ours.
            { message: e.code === 'FileNotFound' ? 'file not found' : e.message, user: true, file: this.file.fsPath, formatted: `${this.file.fsPath}: ${e.message}` }
          : { message: e instanceof Error ? e.message : String(e), user: false, stack: e instanceof Error ? e.stack : undefined, formatted: String(e) };
    this.lastError = info;
    if (info.user) {
      this.deps.log.warn(`rewards: ${info.formatted}`);
      this.setDiagnostic(info);
    } else {
      this.deps.log.error(`rewards: ${info.stack ?? info.message}`);
    }
    const display = info.file ? vscode.workspace.asRelativePath(info.file) : undefined;
    await this.post(errorMessage(info, display));
  }

  private setDiagnostic(info: ErrorInfo): void {
    // Only errors inside the rewards file itself (not, say, a broken reward model it references).
    if (info.file && path.resolve(info.file) !== path.resolve(this.file.fsPath)) return;
    const line = Math.max(0, (info.line ?? 1) - 1);
    const col = Math.max(0, (info.column ?? 1) - 1);
    const diag = new vscode.Diagnostic(new vscode.Range(line, col, line, col + 1), info.pointer ? `${info.pointer}: ${info.message}` : info.message, vscode.DiagnosticSeverity.Error);
    diag.source = 'Model Lab';
    if (info.pointer) diag.code = info.pointer;
    this.deps.diagnostics.set(this.file, [diag]);
  }

  /** Sends the current matrix and difference again (after a theme change or a new result). */
  private async repost(): Promise<void> {
    if (!this.theme || !this.matrix) return;
    const m = this.matrix;
    await this.post(matrixMessage(m.result, m.settings, this.fileName, this.theme));
    if (this.difference && this.selected && this.difference.row === this.selected.row && this.difference.col === this.selected.col) {
      await this.post(differenceMessage(this.difference, m.result, m.settings, this.theme));
    }
  }

  private async openFile(): Promise<void> {
    const editor = await vscode.window.showTextDocument(this.file, { viewColumn: vscode.ViewColumn.One });
    const e = this.lastError;
    if (e?.line && (!e.file || path.resolve(e.file) === path.resolve(this.file.fsPath))) {
      const pos = new vscode.Position(e.line - 1, Math.max(0, (e.column ?? 1) - 1));
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  private post(message: HostToWebview): Promise<void> {
    return this.channel.post(message);
  }

  dispose(): void {
    if (RewardsPanel.panels.get(this.file.toString()) === this) RewardsPanel.panels.delete(this.file.toString());
    this.generation++;
    this.jobs.dispose();
    // An open editor keeps its own check of the file (see `registerRewards`).
    if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === this.file.toString())) this.deps.diagnostics.delete(this.file);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function sameSettings(a: CompareSettings, b: CompareSettings): boolean {
  return a.canon === b.canon && a.norm === b.norm && a.metric === b.metric;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  // The webview is rebuilt when shown again; the host re-sends the last result (see `ready`).
  return panelWebviewOptions(extensionUri, { retainContextWhenHidden: false });
}

/** Restores a reward panel after a window reload from the file URI and settings the webview saved. */
export class RewardsSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly deps: RewardsDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (!isRewardsPanelState(state)) {
      // Nothing to restore (the panel closed before it got its file): do not leave an empty panel.
      panel.dispose();
      return;
    }
    RewardsPanel.revive(panel, this.deps, vscode.Uri.parse(state.file, true), state.settings);
  }
}
