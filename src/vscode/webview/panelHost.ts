import * as vscode from 'vscode';
import { LOAD_FAILED, webviewHtml } from './html';
import { PageLoadWatch } from './pageLoadWatch';

/**
 * Host-side plumbing every Model Lab webview panel shares: the webview options (scripts on,
 * command URIs off, resources only from `dist/` and `media/`), the HTML shell that loads the
 * panel's bundle `dist/webview/<bundle>.js` under the nonce CSP, and a typed message channel
 * that drops malformed messages (logged) and reports handler failures. Each panel keeps only
 * its own state and message handling.
 */
export function panelWebviewOptions(extensionUri: vscode.Uri, extra: { retainContextWhenHidden?: boolean } = {}): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    ...extra,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/**
 * Sets the panel's HTML: the shell with `dist/webview/<bundle>.js` and the codicon stylesheet,
 * and keeps it loading until the page talks (`PageLoadWatch`: set again when its script fails to
 * load or a visible page stays silent; after the last try the user is offered Reload Window).
 * `log` records every try. The returned subscription ends with the panel.
 */
export function setPanelHtml(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, bundle: string, title: string, log: vscode.LogOutputChannel): vscode.Disposable {
  const { webview } = panel;
  const watch = new PageLoadWatch({
    render: () => {
      try {
        webview.html = webviewHtml({
          cspSource: webview.cspSource,
          scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${bundle}.js`)).toString(),
          codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'codicons', 'codicon.css')).toString(),
          title,
        });
      } catch {
        // The panel was closed meanwhile.
      }
    },
    isVisible: () => panel.visible,
    retainsContext: panel.options.retainContextWhenHidden === true,
    onRetry: (reason, attempt) => log.warn(`${title}: the page did not load (${reason}); loading it again (try ${attempt})`),
    onGiveUp: (reason) => {
      log.error(`${title}: the page did not load: ${reason}`);
      void vscode.window.showWarningMessage(`Model Lab: the ${title} panel did not load.`, 'Reload Window').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.reloadWindow');
      });
    },
  });
  watch.start();
  const subscriptions = [
    webview.onDidReceiveMessage((m: unknown) => {
      const failed = isLoadFailed(m);
      watch.onMessage(failed, failed ? m.url : '');
    }),
    panel.onDidChangeViewState((e) => watch.onVisibility(e.webviewPanel.visible)),
    watch,
  ];
  return new vscode.Disposable(() => subscriptions.forEach((d) => d.dispose()));
}

function isLoadFailed(m: unknown): m is { type: string; url: string } {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === LOAD_FAILED && typeof (m as { url?: unknown }).url === 'string';
}

export interface WebviewChannelOptions<In> {
  /** Name used in log lines, e.g. "timeline". */
  label: string;
  log: vscode.LogOutputChannel;
  /** Validator of messages from the webview (they are untrusted). */
  isMessage: (m: unknown) => m is In;
  onMessage: (m: In) => Promise<void> | void;
  /** A failed handler; logged as an error when not given. */
  onError?: (e: unknown) => void;
}

/** The typed two-way message channel of one webview. */
export class WebviewChannel<In, Out> implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(private readonly webview: vscode.Webview, private readonly opts: WebviewChannelOptions<In>) {
    this.subscription = webview.onDidReceiveMessage((m: unknown) => this.receive(m));
  }

  private receive(m: unknown): void {
    const { label, log, isMessage, onMessage, onError } = this.opts;
    if (isLoadFailed(m)) return; // the page's shell, handled by setPanelHtml
    if (!isMessage(m)) {
      log.warn(`${label}: ignored a malformed message from the webview: ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    void (async () => onMessage(m))().catch((e: unknown) => {
      if (onError) onError(e);
      else log.error(`${label}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    });
  }

  /** Posts to the webview; a panel closed meanwhile is not an error. */
  async post(message: Out): Promise<void> {
    try {
      await this.webview.postMessage(message);
    } catch {
      // The panel was closed meanwhile.
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
