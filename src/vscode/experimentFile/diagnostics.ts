import * as vscode from 'vscode';
import { checkExperimentText } from '../../core/experiment/load';

/** Pause after the last keystroke before re-checking (the check may stat data files). */
const DEBOUNCE_MS = 300;

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
} as const;

/**
 * Loader diagnostics for open experiment files: what the JSON Schema (contributed via
 * `jsonValidation`) cannot say — missing data files, impossible shapes, unknown layer names.
 * Schema problems are reported too, with the loader's wording, so the CLI and the editor agree.
 * In Restricted Mode no file the experiment names is looked at (a diagnostic says so); trusting
 * the workspace re-checks every open file.
 */
export function registerExperimentDiagnostics(): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('model-lab');
  const timers = new Map<string, NodeJS.Timeout>();

  const check = (doc: vscode.TextDocument) => {
    if (!isExperiment(doc)) return;
    const files = vscode.workspace.isTrusted ? 'stat' : 'none';
    const diagnostics = checkExperimentText(doc.getText(), doc.uri.scheme === 'file' ? doc.uri.fsPath : '', files).map((d) => {
      const range = new vscode.Range(doc.positionAt(d.start), doc.positionAt(Math.max(d.end, d.start + 1)));
      const diag = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
      diag.source = 'Model Lab';
      if (d.pointer) diag.code = d.pointer;
      return diag;
    });
    collection.set(doc.uri, diagnostics);
  };
  const schedule = (doc: vscode.TextDocument) => {
    if (!isExperiment(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      check(doc);
    }, DEBOUNCE_MS));
  };

  vscode.workspace.textDocuments.forEach(check);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => vscode.workspace.textDocuments.forEach(check)),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      clearTimeout(timers.get(doc.uri.toString()));
      collection.delete(doc.uri);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}

function isExperiment(doc: vscode.TextDocument): boolean {
  return doc.uri.path.endsWith('.experiment.json');
}
