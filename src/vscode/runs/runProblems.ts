import * as vscode from 'vscode';
import { groupRuns } from './runGroups';
import type { RunIndex } from './runIndex';

/** Changes to the run store come in bursts (a run writes several files as it ends). */
const DEBOUNCE_MS = 500;

/**
 * Failed runs in the Problems view: when the newest run of an experiment file failed with an
 * error that points at a line (a field of the experiment file, or a row of a data file), that
 * error is a problem at that line until the next run of the file. Derived from the run store,
 * so it survives a window reload and covers runs started anywhere (CLI included).
 */
export function registerRunProblems(index: RunIndex): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('model-lab-runs');
  let timer: NodeJS.Timeout | undefined;
  const update = async () => {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const group of groupRuns(await index.workspaceRuns())) {
      const newest = group.runs[0];
      const error = newest?.status === 'failed' ? newest.error : undefined;
      if (!error?.file || !error.line) continue;
      const start = new vscode.Position(error.line - 1, Math.max(0, (error.column ?? 1) - 1));
      // To the end of the line (VS Code clamps it): the value the error is about starts at `start`.
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(start, start.with({ character: Number.MAX_SAFE_INTEGER })),
        `the run of ${group.experiment} failed: ${error.message.split('\n')[0]}`,
        vscode.DiagnosticSeverity.Error,
      );
      diagnostic.source = 'Model Lab run';
      if (error.pointer) diagnostic.code = error.pointer;
      byFile.set(error.file, [...(byFile.get(error.file) ?? []), diagnostic]);
    }
    collection.clear();
    for (const [file, diagnostics] of byFile) collection.set(vscode.Uri.file(file), diagnostics);
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void update().catch(() => undefined), DEBOUNCE_MS);
  };
  schedule();
  return vscode.Disposable.from(collection, index.onDidChange(schedule), { dispose: () => clearTimeout(timer) });
}
