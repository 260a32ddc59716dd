import * as path from 'node:path';
import * as vscode from 'vscode';
import { isUserError } from '../../core/errors';
import { loadExperimentText, readExperimentFile, type LoadedExperiment } from '../../core/experiment/load';
import { peekExperiment } from '../../core/experiment/peek';
import type { OfflineGcrlSummary, SkillsSummary } from '../../runner/summary';
import { readSummary } from '../../runner/runStore';
import { isExperimentFile } from '../config';
import { resultViewFor } from '../runs/resultViews';
import type { RunIndex } from '../runs/runIndex';
import { escapeMarkdown } from '../util/markdown';
import { RunFolderPanel, type RunFolderPanelDeps } from '../webview/runFolderPanel';
import { layoutInText, mazeFacts, mazeSvg } from './mazePreview';
import { GCRL_PANEL, SKILLS_PANEL } from './panels';

const SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.experiment.json' }];

/** The algorithms of each RL kind, as Compare Algorithms offers them. */
export const RL_ALGOS: Record<'skills' | 'offline-gcrl', { algo: string; detail: string }[]> = {
  skills: [
    { algo: 'metra', detail: 'METRA: maximise (phi(s\') - phi(s)) . z, phi 1-Lipschitz in temporal distance' },
    { algo: 'diayn', detail: 'DIAYN: maximise log q(z | s\') (mutual information)' },
    { algo: 'lsd', detail: 'LSD: maximise (phi(s\') - phi(s)) . z, phi 1-Lipschitz in Euclidean distance (spectral norm)' },
  ],
  'offline-gcrl': [
    { algo: 'hiql', detail: 'HIQL: subgoal k steps ahead + low-level policy, both AWR on one value' },
    { algo: 'gcivl', detail: 'GCIVL: one flat AWR policy on the same value' },
    { algo: 'gcbc', detail: 'GCBC: goal-conditioned behaviour cloning' },
  ],
};

/**
 * The RL lab in the editor: the skills and offline-gcrl panels (opened by Run Experiment, Show
 * Results and the Runs view through `resultViews`), Compare Algorithms, a drawing of a maze
 * `layout` on hover, and a CodeLens over the layout with each algorithm's latest result.
 */
export function registerRl(deps: RunFolderPanelDeps): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  return vscode.Disposable.from(
    changed,
    RunFolderPanel.register(SKILLS_PANEL, deps),
    RunFolderPanel.register(GCRL_PANEL, deps),
    vscode.commands.registerCommand('modelLab.compareAlgorithms', (arg?: unknown) => compareAlgorithms(deps, arg)),
    // The layout CodeLens's target: these runs of this kind in their panel.
    vscode.commands.registerCommand('modelLab.openRlRuns', (kind: unknown, runDirs: unknown) => {
      if (typeof kind === 'string' && Array.isArray(runDirs) && runDirs.every((d) => typeof d === 'string')) resultViewFor(kind)?.open(runDirs);
    }),
    vscode.languages.registerHoverProvider(SELECTOR, { provideHover: (doc, pos) => layoutHover(doc, pos) }),
    vscode.languages.registerCodeLensProvider(SELECTOR, { onDidChangeCodeLenses: changed.event, provideCodeLenses: (doc) => layoutLenses(deps.index, doc) }),
    deps.index.onDidChange(() => changed.fire()),
  );
}

function layoutHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
  const l = layoutInText(doc.getText());
  const offset = doc.offsetAt(pos);
  if (!l || offset < l.keyStart || offset > l.end || l.layout.length === 0) return undefined;
  const svg = Buffer.from(mazeSvg(l, Math.max(6, Math.min(16, Math.floor(320 / Math.max(l.layout.length, ...l.layout.map((r) => r.length))))))).toString('base64');
  const text = new vscode.MarkdownString(undefined, true);
  text.isTrusted = false;
  text.appendMarkdown(`![maze](data:image/svg+xml;base64,${svg})\n\n`);
  for (const f of mazeFacts(l)) text.appendMarkdown(`- ${escapeMarkdown(f)}\n`);
  return new vscode.Hover(text, new vscode.Range(doc.positionAt(l.keyStart), doc.positionAt(l.end)));
}

/** One CodeLens over `"layout"`: the latest completed run of each algorithm of this file. */
async function layoutLenses(index: RunIndex, doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
  const kind = peekExperiment(doc.getText()).kind;
  if (kind !== 'offline-gcrl' && kind !== 'skills') return [];
  const l = layoutInText(doc.getText());
  const records = (await index.runsOf(doc.uri.fsPath)).filter((r) => r.kind === kind && r.status === 'completed');
  const latest = new Map<string, (typeof records)[number]>();
  for (const r of records) if (!latest.has(r.policy)) latest.set(r.policy, r);
  if (latest.size === 0) return [];
  const parts: string[] = [];
  for (const r of latest.values()) {
    const s = (await readSummary(r.runDir)) as SkillsSummary | OfflineGcrlSummary | undefined;
    if (s?.kind === 'offline-gcrl') parts.push(`${s.algo.toUpperCase()} ${Math.round(s.successRate * 100)}%`);
    else if (s?.kind === 'skills') parts.push(`${s.algo.toUpperCase()} ${s.coverage} cells`);
  }
  const line = doc.positionAt(l ? l.keyStart : 0).line;
  const what = kind === 'offline-gcrl' ? 'success' : 'coverage';
  return [
    new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
      title: `$(graph) ${what}: ${parts.join(' · ')}`,
      tooltip: `Latest completed run of each algorithm on this ${kind === 'offline-gcrl' ? 'maze' : 'environment'}; click to compare them`,
      command: 'modelLab.openRlRuns',
      arguments: [kind, [...latest.values()].map((r) => r.runDir)],
    }),
  ];
}

/** Runs the experiment once per picked algorithm, one after another, into one panel. */
async function compareAlgorithms(deps: RunFolderPanelDeps, arg: unknown): Promise<void> {
  const file = isExperimentFile(arg as vscode.Uri) ? (arg as vscode.Uri).fsPath : isExperimentFile(vscode.window.activeTextEditor?.document.uri) ? vscode.window.activeTextEditor!.document.uri.fsPath : undefined;
  if (!file) {
    void vscode.window.showInformationMessage('Model Lab: open a skills or offline-gcrl experiment file to compare algorithms.');
    return;
  }
  // The file is read once; every algorithm's variant is validated before the first run starts.
  let text: string;
  try {
    text = (await readExperimentFile(file)).text;
  } catch (e) {
    void vscode.window.showErrorMessage(`Model Lab: cannot run ${path.basename(file)}: ${(e as Error).message}`);
    return;
  }
  const peek = peekExperiment(text);
  if (peek.kind !== 'skills' && peek.kind !== 'offline-gcrl') {
    void vscode.window.showInformationMessage(`Model Lab: ${path.basename(file)} is a "${peek.kind}" experiment; Compare Algorithms is for skills and offline-gcrl experiments (Compare Policies is for train).`);
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Model Lab does not run experiments in Restricted Mode. Trust this folder to run them.');
    return;
  }
  const kind = peek.kind;
  const picks = await vscode.window.showQuickPick(
    RL_ALGOS[kind].map((a) => ({ label: a.algo, detail: a.detail, algo: a.algo, picked: true })),
    { title: `Compare algorithms on ${path.basename(file)}`, placeHolder: 'Pick the algorithms to run one after another (same settings and seed)', canPickMany: true },
  );
  if (!picks || picks.length === 0) return;
  const runs: { algo: string; loaded: LoadedExperiment }[] = [];
  for (const pick of picks) {
    try {
      runs.push({ algo: pick.algo, loaded: loadExperimentText(text, path.resolve(file), { algo: pick.algo }) });
    } catch (e) {
      if (!isUserError(e)) throw e;
      deps.log.warn(`cannot run ${file}: ${e.format()}`);
      void vscode.window.showErrorMessage(`Model Lab: cannot run ${path.basename(file)} with ${pick.algo}: ${e.message.split('\n')[0]}`);
      return;
    }
  }
  const view = resultViewFor(kind);
  const runDirs: string[] = [];
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Model Lab: comparing ${picks.length} algorithms`, cancellable: true },
    async (progress, token) => {
      for (const [i, pick] of runs.entries()) {
        if (token.isCancellationRequested) break;
        const run = deps.runs.start({ experiment: pick.loaded });
        runDirs.push(run.runDir);
        if (i === 0) view?.open([run.runDir], { preserveFocus: true });
        else view?.add?.(run.runDir);
        const cancel = token.onCancellationRequested(() => deps.runs.cancel(run.runDir));
        let done = 0;
        const sub = deps.runs.onDidRunEvent(({ run: r, event }) => {
          if (r !== run || event.type !== 'progress') return;
          const total = 100 * ((i + event.fraction) / picks.length);
          progress.report({ message: `${pick.algo} (${i + 1}/${picks.length}): ${event.message}`, increment: total - done });
          done = total;
        });
        progress.report({ message: `${pick.algo} (${i + 1}/${picks.length}): starting…` });
        const outcome = await run.done;
        cancel.dispose();
        sub.dispose();
        if (outcome.status === 'failed' || outcome.status === 'crashed') {
          void vscode.window.showErrorMessage(`Model Lab: ${pick.algo} ${outcome.status}: ${outcome.error?.message ?? 'unknown error'}`, 'Show Log').then((a) => (a ? deps.log.show() : undefined));
          break;
        }
      }
    },
  );
  if (runDirs.length) view?.open(runDirs);
}
