import * as vscode from 'vscode';
import { checkExperimentText } from '../../core/experiment/load';
import { checkedPath, registerDocumentDiagnostics } from '../util/documentDiagnostics';

/**
 * Loader diagnostics for open experiment files: what the JSON Schema (contributed via
 * `jsonValidation`) cannot say — missing data files, the data's width and header row, impossible
 * shapes, unknown layer names. Schema problems are reported too, with the loader's wording, so
 * the CLI and the editor agree. In Restricted Mode no file the experiment names is looked at (a
 * diagnostic says so); trusting the workspace re-checks every open file.
 */
export function registerExperimentDiagnostics(): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('model-lab');
  return vscode.Disposable.from(
    collection,
    registerDocumentDiagnostics(
      collection,
      (doc) => doc.uri.path.endsWith('.experiment.json'),
      (doc) => checkExperimentText(doc.getText(), checkedPath(doc), vscode.workspace.isTrusted ? 'stat' : 'none'),
    ),
  );
}
