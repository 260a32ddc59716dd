import * as vscode from 'vscode';
import { panelWebviewOptions, setPanelHtml, WebviewChannel } from '../webview/panelHost';
import { isExtractPanelState, isWebviewToHost, type ExtractPanelState, type HostToWebview, type WebviewToHost } from '../../panels/extract/messages';
import { exportDocument } from '../../panels/extract/viewModel';

export const EXTRACT_VIEW_TYPE = 'modelLab.extraction';

export interface ExtractPanelDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/**
 * The extraction results panel (host side): one panel showing the latest result. The webview
 * persists that result with `setState`, so the serializer restores it after a reload; the host
 * re-validates anything it gets back before using it.
 */
export class ExtractPanel implements vscode.Disposable {
  private static current: ExtractPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: WebviewChannel<WebviewToHost, HostToWebview>;
  private ready = false;

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

  static revive(panel: vscode.WebviewPanel, deps: ExtractPanelDeps, state: ExtractPanelState | undefined): ExtractPanel {
    panel.webview.options = panelWebviewOptions(deps.extensionUri);
    ExtractPanel.current?.panel.dispose();
    return new ExtractPanel(panel, deps, state);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: ExtractPanelDeps, private state: ExtractPanelState | undefined) {
    ExtractPanel.current = this;
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'model-lab.svg');
    setPanelHtml(panel.webview, deps.extensionUri, 'extract', 'Extraction');
    this.updateTitle();
    this.channel = new WebviewChannel(panel.webview, {
      label: 'extraction panel',
      log: deps.log,
      isMessage: isWebviewToHost,
      onMessage: (m) => this.handle(m),
      onError: (e) => void vscode.window.showErrorMessage(`Model Lab: ${e instanceof Error ? e.message : String(e)}`),
    });
    this.disposables.push(this.channel, panel.onDidDispose(() => this.dispose()));
  }

  private setState(state: ExtractPanelState): void {
    this.state = state;
    this.updateTitle();
    if (this.ready) void this.post({ type: 'result', state });
  }

  private updateTitle(): void {
    this.panel.title = this.state ? `Extraction: ${this.state.source}` : 'Extraction';
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.state) await this.post({ type: 'result', state: this.state });
        else await this.post({ type: 'notice', level: 'info', text: 'No extraction yet: select text and run "Model Lab: Extract Information".' });
        return;
      case 'copyJson':
        if (!this.state) return;
        await vscode.env.clipboard.writeText(exportDocument(this.state));
        void vscode.window.setStatusBarMessage('$(check) Extraction JSON copied', 3000);
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

/** Restores the panel after a window reload from the result the webview saved. */
export class ExtractPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly deps: ExtractPanelDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    ExtractPanel.revive(panel, this.deps, isExtractPanelState(state) ? state : undefined);
  }
}
