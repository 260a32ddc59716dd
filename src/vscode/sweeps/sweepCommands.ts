import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { isUserError } from '../../core/errors';
import { readExperimentFile } from '../../core/experiment/load';
import { loadSweepText } from '../../core/experiment/sweepLoad';
import type { ClusterConfig } from '../../core/experiment/types';
import { slurmView } from '../../runner/slurm';
import { cancelSweep } from '../../runner/sweepCancel';
import { defaultParallel } from '../../runner/sweepLocal';
import { readSweepPlan, type SweepExecutor, type SweepPlan } from '../../runner/sweepPlan';
import { isSettled, sweepState, type PointState } from '../../runner/sweepState';
import { EXPERIMENT_GLOB, isExperimentFile, runsRootFor } from '../config';
import { pointLabel, sweepDirOf } from '../runs/runGroups';
import type { RunsNode, RunsTreeProvider } from '../runs/runsTreeProvider';
import { RunFolderPanel, type RunFolderPanelDeps } from '../webview/runFolderPanel';
import { SWEEP_PANEL } from './sweepPanel';

export interface SweepDeps extends RunFolderPanelDeps {
  tree: RunsTreeProvider;
}

/** The context key listing experiment files with a `sweep` block (Run Sweep... shows on those). */
const SWEEP_FILES_KEY = 'modelLab.sweepFiles';

/**
 * Run Sweep...: expands the file's sweep and runs it with the `model-lab` CLI bundled beside
 * this extension (`dist/cli.js sweep`), exactly as from a terminal: locally its scheduler is a
 * process of its own (the sweep goes on if the window closes), on Slurm it is one `sbatch`
 * array submitted from this machine (in a Remote-SSH window, the cluster's login node). The
 * notification follows every point from the run store until the sweep ends; Cancel stops it.
 */
export function registerSweepCommands(deps: SweepDeps): vscode.Disposable {
  const files = new SweepFiles();
  return vscode.Disposable.from(
    files,
    vscode.commands.registerCommand('modelLab.runSweep', (arg?: unknown) => runSweep(deps, arg)),
    vscode.commands.registerCommand('modelLab.openSweepChart', (arg?: unknown) => withSweep(arg, (dir) => void RunFolderPanel.show(SWEEP_PANEL, deps, [dir]))),
    vscode.commands.registerCommand('modelLab.cancelSweep', (arg?: unknown) => withSweep(arg, (dir) => cancelSweepNode(deps, dir))),
    vscode.commands.registerCommand('modelLab.resumeSweep', (arg?: unknown) => withSweep(arg, (dir) => resumeSweep(deps, dir))),
    RunFolderPanel.register(SWEEP_PANEL, deps),
  );
}

/** The sweep folder of a Runs view sweep node (the commands on sweeps take nothing else). */
async function withSweep(arg: unknown, fn: (sweepDir: string) => unknown): Promise<void> {
  const node = arg as RunsNode | undefined;
  if (!node || typeof node !== 'object' || node.kind !== 'sweep' || node.sweep.runs.length === 0) {
    void vscode.window.showInformationMessage('Model Lab: choose a sweep in the Runs view.');
    return;
  }
  await fn(sweepDirOf(node.sweep));
}

/**
 * Cancel Sweep, after a confirmation: on this machine its scheduler starts no more points and
 * every running point stops at its next step; on Slurm, `scancel` of its array job(s). Every
 * point stays resumable (Resume Sweep).
 */
async function cancelSweepNode(deps: SweepDeps, dir: string): Promise<void> {
  const plan = await readSweepPlan(dir);
  const state = await sweepState(plan, plan.executor === 'slurm' ? await slurmView(plan) : undefined);
  const live = state.filter((p) => !isSettled(p.status));
  if (live.length === 0) {
    void vscode.window.showInformationMessage(`Model Lab: sweep ${plan.name} has no queued or running point.`);
    return;
  }
  const how = plan.executor === 'slurm' ? `scancel of Slurm job ${plan.slurm?.jobs.map((j) => j.jobId).join(', ')}` : 'its running points stop at their next step';
  const answer = await vscode.window.showWarningMessage(
    `Cancel sweep ${plan.name}? ${summarize(live)} (${how}). The points stay resumable: Resume Sweep continues them.`,
    { modal: true },
    'Cancel Sweep',
  );
  if (answer !== 'Cancel Sweep') return;
  for (const line of await cancelSweep(plan)) deps.log.info(`[sweep ${plan.sweepId}] ${line}`);
  deps.tree.refresh();
}

/** Resume Sweep: the CLI's `sweep --resume` (local: a new scheduler for the points not completed; Slurm: a resubmission of those). */
async function resumeSweep(deps: SweepDeps, dir: string): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Model Lab does not run sweeps in Restricted Mode: trust this folder to run experiments.');
    return;
  }
  const { executor } = await readSweepPlan(dir);
  const args = ['sweep', '--resume', dir, '--json', ...(executor === 'local' ? ['--parallel', String(parallelSetting())] : [])];
  if (await startWithCli(deps, args, 'resume')) await followSweep(deps, await readSweepPlan(dir));
}

/** Points at once on this machine: `modelLab.sweep.parallel`, or one per core. */
function parallelSetting(): number {
  return vscode.workspace.getConfiguration('modelLab').get<number>('sweep.parallel', 0) || defaultParallel();
}

/** Starts (or resumes) a sweep with the bundled CLI; its `--json` document, or undefined after showing why it failed. */
async function startWithCli(deps: SweepDeps, args: string[], what: 'start' | 'resume'): Promise<{ sweepDir: string } | undefined> {
  deps.log.info(`model-lab ${args.join(' ')}`);
  try {
    const doc = JSON.parse(await runCli(args)) as { sweepDir: string };
    deps.tree.refresh();
    return doc;
  } catch (e) {
    deps.log.error(`the sweep did not ${what}: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Model Lab: the sweep did not ${what}: ${(e as Error).message.split('\n')[0]}`, 'Show Log').then((a) => (a ? deps.log.show() : undefined));
    return undefined;
  }
}

async function runSweep(deps: SweepDeps, arg: unknown): Promise<void> {
  const file = isExperimentFile(arg as vscode.Uri) ? (arg as vscode.Uri).fsPath : activeFile();
  if (!file) {
    void vscode.window.showInformationMessage('Model Lab: open an experiment file with a "sweep" block to run its sweep.');
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Model Lab does not run sweeps in Restricted Mode: trust this folder to run experiments.');
    return;
  }
  let cluster: ClusterConfig = {};
  let points: number;
  try {
    const { file: abs, text } = await readExperimentFile(file);
    const sweep = loadSweepText(text, abs);
    points = sweep.points.length;
    cluster = 'cluster' in sweep.base.experiment ? sweep.base.experiment.cluster ?? {} : {};
  } catch (e) {
    if (!isUserError(e)) throw e;
    deps.log.warn(`cannot run the sweep of ${file}: ${e.format()}`);
    const where = e.line ? ` (line ${e.line})` : '';
    const a = await vscode.window.showErrorMessage(`Model Lab: ${path.basename(file)}: ${e.message.split('\n')[0]}${where}`, ...(e.line ? ['Go to Problem'] : []));
    if (a && e.line) {
      const pos = new vscode.Position(e.line - 1, Math.max(0, (e.column ?? 1) - 1));
      await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos) });
    }
    return;
  }
  const parallel = parallelSetting();
  const pick = await vscode.window.showQuickPick(
    [
      { label: '$(vm) This machine', description: `${parallel} at once`, detail: `Runs the ${points} points here, each in a run process of its own.`, executor: 'local' as SweepExecutor },
      { label: '$(server-environment) Slurm', description: 'sbatch --array', detail: `Submits one job array of ${points} tasks with this machine's sbatch (settings: the file's "cluster" block, then modelLab.cluster.*).`, executor: 'slurm' as SweepExecutor },
    ],
    { title: `Run Sweep: ${path.basename(file)} (${points} points)`, placeHolder: 'Where should the points run?' },
  );
  if (!pick) return;
  const args = ['sweep', file, '--json', '--executor', pick.executor, '--out', runsRootFor(file)];
  if (pick.executor === 'local') args.push('--parallel', String(parallel));
  else args.push(...clusterFlags(cluster));
  const doc = await startWithCli(deps, args, 'start');
  if (doc) await followSweep(deps, await readSweepPlan(doc.sweepDir));
}

/** The machine's `modelLab.cluster.*` settings, for what the file's `cluster` block leaves out. */
function clusterFlags(fromFile: ClusterConfig): string[] {
  const c = vscode.workspace.getConfiguration('modelLab.cluster');
  const flags: string[] = [];
  const add = (key: keyof ClusterConfig, flag: string, value: string | number | undefined) => {
    if (fromFile[key] === undefined && value !== undefined && value !== '' && value !== 0) flags.push(flag, String(value));
  };
  add('partition', '--partition', c.get<string>('partition'));
  add('time', '--time', c.get<string>('time'));
  add('cpusPerTask', '--cpus-per-task', c.get<number>('cpusPerTask'));
  add('mem', '--mem', c.get<string>('mem'));
  for (const line of c.get<string[]>('setup') ?? []) flags.push('--setup', line);
  for (const a of c.get<string[]>('sbatchArgs') ?? []) flags.push(`--sbatch-arg=${a}`);
  return flags;
}

/** A cancellable notification with every point's progress, read from the run store (and Slurm) until the sweep ends. */
async function followSweep(deps: SweepDeps, plan: SweepPlan): Promise<void> {
  const title = `Model Lab: sweep ${plan.name} (${plan.points.length} points, ${plan.executor === 'slurm' ? `Slurm job ${plan.slurm?.jobs.at(-1)?.jobId}` : 'this machine'})`;
  const state = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    let cancelled = false;
    token.onCancellationRequested(() => {
      cancelled = true;
      void cancelSweep(plan).then((lines) => lines.forEach((l) => deps.log.info(`[sweep ${plan.sweepId}] ${l}`)), (e) => deps.log.error(`cancel: ${(e as Error).message}`));
    });
    let reported = 0;
    let shown = '';
    for (;;) {
      const now = await sweepState(plan, plan.executor === 'slurm' ? await slurmView(plan) : undefined);
      const done = now.filter((p) => isSettled(p.status)).length;
      const message = summarize(now);
      progress.report({ message, increment: ((done - reported) / now.length) * 100 });
      // The points run in other processes (the sweep's CLI, Slurm tasks), which tell this window
      // nothing: when a point starts, ends or finishes an epoch, re-read the run store for the Runs
      // view (at most once a second; the file watcher alone can miss another process's writes).
      const seen = now.map((p) => `${p.status}:${p.epochsDone ?? ''}`).join(',');
      if (seen !== shown) deps.tree.refresh();
      shown = seen;
      reported = done;
      if (done === now.length || (cancelled && now.every((p) => p.status !== 'running'))) return now;
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  deps.tree.refresh();
  const best = state.filter((p) => p.status === 'completed' && p.metrics).sort((a, b) => metric(b) - metric(a))[0];
  const line = `Model Lab: sweep ${plan.name}: ${summarize(state)}${best ? `; best ${(metric(best) * 100).toFixed(1)}% (${pointLabel(best.params)})` : ''}`;
  deps.log.info(line);
  if (state.some((p) => p.status === 'failed' || p.status === 'diverged')) void vscode.window.showWarningMessage(line, 'Show Log').then((a) => (a ? deps.log.show() : undefined));
  else void vscode.window.showInformationMessage(line);
}

function metric(p: PointState): number {
  return p.metrics?.accuracy ?? p.metrics?.entityF1 ?? -Infinity;
}

/** "2 completed, 1 running, 1 queued". */
export function summarize(points: readonly PointState[]): string {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

/** The bundled CLI in a process of its own (the host binary as Node); resolves with its stdout. */
function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'cli.js'), ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error((stderr.trim().split('\n').pop() ?? '') || error.message));
      else resolve(stdout);
    });
  });
}

function activeFile(): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return isExperimentFile(uri) ? uri.fsPath : undefined;
}

/** Keeps `modelLab.sweepFiles` (the workspace's experiment files with a `sweep` block) current. */
class SweepFiles implements vscode.Disposable {
  private readonly files = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB);
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate((u) => void this.check(u)),
      watcher.onDidChange((u) => void this.check(u)),
      watcher.onDidDelete((u) => this.set(u, false)),
      vscode.workspace.onDidChangeTextDocument((e) => (isExperimentFile(e.document.uri) ? this.set(e.document.uri, hasSweep(e.document.getText())) : undefined)),
    );
    void vscode.workspace.findFiles(EXPERIMENT_GLOB, '**/node_modules/**').then((uris) => Promise.all(uris.map((u) => this.check(u))));
  }

  private async check(uri: vscode.Uri): Promise<void> {
    try {
      this.set(uri, hasSweep(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')));
    } catch {
      this.set(uri, false);
    }
  }

  private set(uri: vscode.Uri, has: boolean): void {
    const before = this.files.has(uri.fsPath);
    if (has === before) return;
    if (has) this.files.add(uri.fsPath);
    else this.files.delete(uri.fsPath);
    void vscode.commands.executeCommand('setContext', SWEEP_FILES_KEY, [...this.files]);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

function hasSweep(text: string): boolean {
  const value = parseJsonc(text, [], { allowTrailingComma: true }) as { sweep?: unknown } | undefined;
  return typeof value?.sweep === 'object' && value.sweep !== null;
}
