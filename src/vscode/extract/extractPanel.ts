import * as vscode from 'vscode';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { isExtractPanelState, isWebviewToHost, type ExtractPanelState, type HostToWebview, type WebviewToHost } from '../../panels/extract/messages';
import { exportDocument, panelTitle } from '../../panels/extract/viewModel';
import { findSpan } from './spanEdits';
import { saveExport } from '../webview/exportFile';

export const EXTRACT_VIEW_TYPE = 'modelLab.extraction';

export interface ExtractPanelDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/**
 * The extraction results panel (host side): one panel showing the latest result, or why the
 * latest extraction failed. The webview persists the result with `setState`, so the serializer
 * restores it after a reload; the host re-validates anything it gets back before using it.
 * A click on an entity in the panel selects it in its editor.
 */
export class ExtractPanel implements vscode.Disposable {
  private static current: ExtractPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private ready = false;
  /** Set when the latest extraction failed (then `state` is cleared). */
  private failure: { source: string; text: string } | undefined;

  static show(deps: ExtractPanelDeps, state: ExtractPanelState): ExtractPanel {
    const existing = ExtractPanel.current;
    if (existing) {
      existing.setState(state);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(EXTRACT_VIEW_TYPE, 'Extraction', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, panelWebviewOptions(deps.extensionUri));
    return new ExtractPanel(panel, deps, state);
  }

  /** The latest extraction, of `source`, failed: an open panel drops its result and says why. */
  static showFailure(source: string, text: string): void {
    ExtractPanel.current?.setFailure(source, text);
  }

  static revive(panel: vscode.WebviewPanel, deps: ExtractPanelDeps, state: ExtractPanelState | undefined): ExtractPanel {
    panel.webview.options = panelWebviewOptions(deps.extensionUri);
    ExtractPanel.current?.panel.dispose();
    return new ExtractPanel(panel, deps, state);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: ExtractPanelDeps, private state: ExtractPanelState | undefined) {
    ExtractPanel.current = this;
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'model-lab.svg');
    this.updateTitle();
    this.channel = new WebviewChannel(panel.webview, {
      label: 'extraction panel',
      log: deps.log,
      isMessage: isWebviewToHost,
      onMessage: (m) => this.handle(m),
      onError: (e) => void vscode.window.showErrorMessage(`Model Lab: ${e instanceof Error ? e.message : String(e)}`),
    });
    this.disposables.push(setPanelHtml(panel, deps.extensionUri, 'extract', 'Extraction', deps.log), this.channel, panel.onDidDispose(() => this.dispose()));
  }

  private setState(state: ExtractPanelState): void {
    this.state = state;
    this.failure = undefined;
    this.updateTitle();
    if (this.ready) void this.post({ type: 'result', state });
  }

  private setFailure(source: string, text: string): void {
    this.state = undefined;
    this.failure = { source, text };
    this.updateTitle();
    if (this.ready) void this.post({ type: 'failed', ...this.failure });
  }

  private updateTitle(): void {
    this.panel.title = this.failure ? panelTitle(this.failure.source, true) : panelTitle(this.state?.source);
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.state) await this.post({ type: 'result', state: this.state });
        else if (this.failure) await this.post({ type: 'failed', ...this.failure });
        else await this.post({ type: 'notice', level: 'info', text: 'No extraction yet: select text and run "Model Lab: Extract Information".' });
        return;
      case 'revealEntity':
        if (this.state) await revealEntity(this.state, m.index);
        return;
      case 'copyJson':
        if (!this.state) return;
        await vscode.env.clipboard.writeText(exportDocument(this.state));
        void vscode.window.setStatusBarMessage('$(check) Extraction JSON copied', 3000);
        return;
      case 'export':
        await saveExport(m, this.deps.log);
        return;
      case 'exportJson': {
        if (!this.state) return;
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const target = await vscode.window.showSaveDialog({
          title: 'Export extraction as JSON',
          filters: { JSON: ['json'] },
          defaultUri: folder ? vscode.Uri.joinPath(folder, 'extraction.json') : undefined,
        });
        if (!target) return;
        await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(exportDocument(this.state)));
        void vscode.window.showInformationMessage(`Model Lab: extraction exported to ${vscode.workspace.asRelativePath(target)}`);
        return;
      }
      case 'error':
        this.deps.log.error(`extraction webview: ${m.message}`);
        return;
    }
  }

  private post(message: HostToWebview): Promise<void> {
    return this.channel.post(message);
  }

  dispose(): void {
    if (ExtractPanel.current === this) ExtractPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/**
 * Selects entity `index` of a result in the document it was extracted from, where its text is
 * now (edits since may have moved it), in the editor group that shows the document.
 */
async function revealEntity(state: ExtractPanelState, index: number): Promise<void> {
  const entity = state.result.entities[index];
  if (!entity) return;
  const uri = state.document === undefined ? undefined : parseUri(state.document);
  if (!uri || state.offset === undefined) {
    void vscode.window.showInformationMessage('Model Lab: this result does not say which document it came from; extract again to link it.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const at = findSpan(doc.getText(), state.offset + entity.start, entity.text);
  if (at === undefined) {
    void vscode.window.showInformationMessage(`Model Lab: "${entity.text.slice(0, 80)}" is no longer in ${vscode.workspace.asRelativePath(uri)}.`);
    return;
  }
  const range = new vscode.Range(doc.positionAt(at), doc.positionAt(at + entity.text.length));
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One, selection: range });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

function parseUri(s: string): vscode.Uri | undefined {
  try {
    return vscode.Uri.parse(s, true);
  } catch {
    return undefined;
  }
}

/** Restores the panel after a window reload from the result the webview saved. */
export class ExtractPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly deps: ExtractPanelDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    ExtractPanel.revive(panel, this.deps, isExtractPanelState(state) ? state : undefined);
  }
}
