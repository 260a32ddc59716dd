import * as vscode from 'vscode';
import { registerExperimentAnnotations } from './experimentFile/annotationProviders';
import { registerExperimentDiagnostics } from './experimentFile/diagnostics';
import { registerExtraction } from './extract/register';
import { registerDistillCommands } from './runs/distillCommands';
import { registerRunCommands } from './runs/runCommands';
import { RunIndex } from './runs/runIndex';
import { RunManager } from './runs/runManager';
import { registerRunProblems } from './runs/runProblems';
import { RunsTreeProvider } from './runs/runsTreeProvider';
import { registerSweepCommands } from './sweeps/sweepCommands';
import { TIMELINE_VIEW_TYPE, TimelineSerializer } from './timeline/timelinePanel';
import { DIFFUSION_PANEL } from './diffusion/diffusionPanel';
import { registerRewards } from './rewards/register';
import { registerRl } from './rl/register';
import { DISTILL_PANEL } from './distill/distillPanel';
import { RunFolderPanel } from './webview/runFolderPanel';
import { registerRunsTable } from './runsTable/register';

/** VS Code's built-in JSON language service (schema completion, hovers and validation). */
const JSON_LANGUAGE_FEATURES = 'vscode.json-language-features';

/**
 * Entry point: wires the per-domain parts together. Runs execute in child processes (see
 * `src/runner/`); nothing here trains or blocks the extension host.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Model Lab', { log: true });
  const runs = new RunManager(log);
  const index = new RunIndex(runs);
  const tree = new RunsTreeProvider(index, runs);
  const deps = { extensionUri: context.extensionUri, runs, log, index, tree };
  context.subscriptions.push(
    log,
    runs,
    index,
    tree,
    vscode.window.createTreeView('modelLab.runs', { treeDataProvider: tree, showCollapseAll: true }),
    registerRunCommands(deps),
    registerDistillCommands(),
    registerSweepCommands(deps),
    registerExperimentDiagnostics(),
    registerExperimentAnnotations(index, runs),
    vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, new TimelineSerializer(deps)),
    RunFolderPanel.register(DIFFUSION_PANEL, deps),
    registerExtraction({ context, log }),
    registerRl(deps),
    RunFolderPanel.register(DISTILL_PANEL, deps),
    registerRunProblems(index),
    registerRunsTable(deps),
  );
  registerRewards(context, log);
  // Experiment and rewards files have languages of their own (so opening or creating one
  // activates Model Lab); the JSON language service serves them as participants
  // (`jsonLanguageParticipants`: completion, hovers, schema validation, formatting), but it
  // activates only for json/jsonc documents, so start it when the first such file opens.
  void vscode.extensions.getExtension(JSON_LANGUAGE_FEATURES)?.activate().then(undefined, (e: unknown) => log.warn(`JSON language features did not start: ${String(e)}`));
  // Runs outlive windows: follow the ones still running (after a reload, or when the folder is
  // reopened) with their progress, and pick up runs that start elsewhere (another window, a terminal).
  const reattach = (announce: boolean) =>
    index.workspaceRuns().then((records) => runs.reattach(records, announce), (e) => log.warn(`looking for running runs: ${(e as Error).message}`));
  void reattach(true);
  context.subscriptions.push(index.onDidCreateRun(() => void reattach(false)));
  log.info(`Model Lab activated (VS Code ${vscode.version}, ${vscode.workspace.isTrusted ? 'trusted' : 'restricted'} workspace)`);
}

export function deactivate(): void {
  // Disposables are released through context.subscriptions. Running runs are not stopped: they
  // run in processes of their own, and the next window reattaches to them.
}
