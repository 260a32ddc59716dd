import * as vscode from 'vscode';
import type { ExperimentDiagnostic } from '../../core/experiment/diagnostic';

/** Pause after the last keystroke before re-checking (a check may read files). */
const DEBOUNCE_MS = 300;

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
} as const;

/**
 * Diagnostics for the open documents `matches` selects, from a core check of their text: set
 * when a document opens, re-checked after edits (debounced) and when the workspace becomes
 * trusted (a check may look at more then), removed when it closes. An async
 * check whose document changed or closed meanwhile is dropped, so a slow old result never
 * replaces a newer one.
 */
export function registerDocumentDiagnostics(
  collection: vscode.DiagnosticCollection,
  matches: (doc: vscode.TextDocument) => boolean,
  check: (doc: vscode.TextDocument) => ExperimentDiagnostic[] | Promise<ExperimentDiagnostic[]>,
  log?: vscode.LogOutputChannel,
): vscode.Disposable {
  const timers = new Map<string, NodeJS.Timeout>();

  const run = async (doc: vscode.TextDocument) => {
    if (!matches(doc)) return;
    const version = doc.version;
    let found: ExperimentDiagnostic[];
    try {
      found = await check(doc);
    } catch (e) {
      log?.error(`checking ${doc.uri.fsPath}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return;
    }
    if (doc.version !== version || doc.isClosed) return;
    collection.set(doc.uri, found.map((d) => toDiagnostic(doc, d)));
  };
  const schedule = (doc: vscode.TextDocument) => {
    if (!matches(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      void run(doc);
    }, DEBOUNCE_MS));
  };

  vscode.workspace.textDocuments.forEach((d) => void run(d));
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenTextDocument((d) => void run(d)),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => vscode.workspace.textDocuments.forEach((d) => void run(d))),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      clearTimeout(timers.get(doc.uri.toString()));
      if (matches(doc)) collection.delete(doc.uri);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}

function toDiagnostic(doc: vscode.TextDocument, d: ExperimentDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(doc.positionAt(d.start), doc.positionAt(Math.max(d.end, d.start + 1)));
  const diag = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
  diag.source = 'Model Lab';
  if (d.pointer) diag.code = d.pointer;
  return diag;
}

/** The path a document's relative paths resolve against: its file, or '' when it has none (files are then not read). */
export function checkedPath(doc: vscode.TextDocument): string {
  return doc.uri.scheme === 'file' ? doc.uri.fsPath : '';
}
