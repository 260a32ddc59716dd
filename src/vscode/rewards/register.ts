import * as path from 'node:path';
import * as vscode from 'vscode';
import { isUserError } from '../../core/errors';
import { checkRewardsText } from '../../core/reward/rewardsFile';
import { checkedPath, registerDocumentDiagnostics } from '../util/documentDiagnostics';
import { REWARDS_VIEW_TYPE, RewardsPanel, RewardsSerializer, type RewardsDeps } from './rewardsPanel';
import { settingsFrom } from './compareSettings';

export const COMPARE_REWARDS_COMMAND = 'modelLab.compareRewards';

/** Set by `registerRewards`; `openRewardsPanel` needs the extension's log and diagnostics. */
let deps: RewardsDeps | undefined;

/**
 * Registers the reward-comparison panel: the `modelLab.compareRewards` command (Explorer
 * context menu, editor title, palette on `*.rewards.json`), its webview serializer, and the
 * diagnostics of rewards files: checked when opened and edited, panel or not (the panel also
 * reports into the same collection, e.g. for a file that is not open).
 */
export function registerRewards(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('model-lab-rewards');
  const d: RewardsDeps = { extensionUri: context.extensionUri, log, diagnostics };
  deps = d;
  context.subscriptions.push(
    diagnostics,
    // Without a path (Restricted Mode), no model file a learned reward names is looked at.
    registerDocumentDiagnostics(
      diagnostics,
      (doc) => doc.uri.path.endsWith('.rewards.json'),
      (doc) => checkRewardsText(doc.getText(), vscode.workspace.isTrusted ? checkedPath(doc) || undefined : undefined),
      log,
    ),
    // Also reached from "Run Experiment" on a `kind: "reward-compare"` file, with its options.
    vscode.commands.registerCommand(COMPARE_REWARDS_COMMAND, async (uri?: vscode.Uri, options?: { canon?: string; norm?: string; metric?: string }) => {
      const file = uri instanceof vscode.Uri ? uri : await pickRewardsFile();
      if (file) openRewardsPanel(context, file, typeof options === 'object' && options !== null ? options : {});
    }),
    vscode.window.registerWebviewPanelSerializer(REWARDS_VIEW_TYPE, new RewardsSerializer(d)),
    { dispose: () => (deps = undefined) },
  );
}

/**
 * Opens (or reveals) the reward-comparison panel for a `*.rewards.json` file. `options` are a
 * `kind: "reward-compare"` experiment's `canon`, `norm`, `metric` (defaults val, 2, 2); an
 * unknown value is reported to the user and the panel is not opened.
 */
export function openRewardsPanel(context: vscode.ExtensionContext, rewardsFileUri: vscode.Uri, options: { canon?: string; norm?: string; metric?: string } = {}): void {
  if (!deps) throw new Error('registerRewards must be called before openRewardsPanel');
  let settings;
  try {
    settings = settingsFrom(options);
  } catch (e) {
    if (!isUserError(e)) throw e;
    void vscode.window.showErrorMessage(`Model Lab: ${e.format()}`);
    return;
  }
  void context;
  RewardsPanel.show(deps, rewardsFileUri, settings);
}

/** The palette without an Explorer selection: the active editor's rewards file, else a pick. */
async function pickRewardsFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && /\.rewards\.json$/.test(active.path)) return active;
  const files = await vscode.workspace.findFiles('**/*.rewards.json', '**/node_modules/**', 200);
  if (files.length === 0) {
    void vscode.window.showInformationMessage('Model Lab: no *.rewards.json file in this workspace. See docs/rewards.md for the format.');
    return undefined;
  }
  if (files.length === 1) return files[0];
  const picked = await vscode.window.showQuickPick(
    files.map((f) => ({ label: path.basename(f.fsPath), description: vscode.workspace.asRelativePath(path.dirname(f.fsPath)), uri: f })),
    { placeHolder: 'Rewards file to compare' },
  );
  return picked?.uri;
}
