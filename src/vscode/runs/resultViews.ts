import type * as vscode from 'vscode';

/**
 * How a run's results open, per experiment kind: a kind with its own panel registers it here
 * (`RunFolderPanel.register` does, for the kinds a panel lists in `results`), and Run
 * Experiment, Show Results and the Runs view open that panel;
 * kinds without one show their summary.json. The freezing timeline (train) is wired directly.
 */
export interface ResultView {
  /** Shows these runs (one, or several compared); `preserveFocus` when a run just started. */
  open(runDirs: string[], opts?: { preserveFocus?: boolean }): void;
  /** Adds a run to the open view (a comparison's next run), opening it if needed. */
  add?(runDir: string): void;
}

const views = new Map<string, ResultView>();

export function registerResultView(kind: string, view: ResultView): vscode.Disposable {
  views.set(kind, view);
  return { dispose: () => (views.get(kind) === view ? void views.delete(kind) : undefined) };
}

export function resultViewFor(kind: string | undefined): ResultView | undefined {
  return kind === undefined ? undefined : views.get(kind);
}
