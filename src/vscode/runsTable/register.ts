import * as vscode from 'vscode';
import type { RunsNode } from '../runs/runsTreeProvider';
import { pickAndEditRunMeta } from './editRunMeta';
import { RUNS_TABLE_VIEW_TYPE, RunsTablePanel, RunsTableSerializer, type RunsTableDeps } from './runsTablePanel';

/** The runs table: Open Runs Table (palette, Runs view), its serializer, and editing a run's name, tags and note from the Runs view. */
export function registerRunsTable(deps: RunsTableDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('modelLab.openRunsTable', () => void RunsTablePanel.show(deps)),
    vscode.commands.registerCommand('modelLab.editRunMeta', async (node?: RunsNode) => {
      if (node?.kind !== 'run') return;
      if (await pickAndEditRunMeta(node.run.runDir, deps.log)) deps.index.invalidate();
    }),
    vscode.window.registerWebviewPanelSerializer(RUNS_TABLE_VIEW_TYPE, new RunsTableSerializer(deps)),
  );
}
