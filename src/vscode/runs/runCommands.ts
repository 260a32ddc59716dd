import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { isUserError } from '../../core/errors';
import { loadExperimentText, readExperimentFile, type LoadedExperiment, type PolicyOverride } from '../../core/experiment/load';
import { peekExperiment } from '../../core/experiment/peek';
import type { ExperimentKind, FreezingPolicyName } from '../../core/experiment/types';
import { toErrorInfo } from '../../runner/errorInfo';
import type { RunErrorInfo } from '../../runner/protocol';
import { runLiveness } from '../../runner/runLock';
import { deleteRun, isTrainRun, readRunRecord, RUN_FILE, setPauseRequest, SUMMARY_FILE, type RunRecord } from '../../runner/runStore';
import { isTrainSummary } from '../../runner/summary';
import type { RunOutcome, RunSource } from '../../runner/runSource';
import { EXPERIMENT_GLOB, isExperimentFile, openTimelineOnRun, showNotificationProgress } from '../config';
import { TimelinePanel, type TimelineDeps } from '../timeline/timelinePanel';
import { outcomeText } from './outcomeText';
import { POLICY_CHOICES } from './policies';
import { policyOptionPrompts } from './policyOptionPrompts';
import { progressMessage } from './progressText';
import { registerProveResult } from './proveResult';
import { resultViewFor } from './resultViews';
import type { RunIndex } from './runIndex';
import type { ActiveRun, RunManager } from './runManager';
import type { RunsNode, RunsTreeProvider } from './runsTreeProvider';

export interface CommandDeps extends TimelineDeps {
  index: RunIndex;
  tree: RunsTreeProvider;
}

/** Why runs are refused in Restricted Mode (shown to the user). */
export const RESTRICTED_MESSAGE =
  'Model Lab does not run experiments in Restricted Mode: a run reads data and model files from this workspace and ' +
  'executes training on them, which needs a trusted workspace. Trust this folder to run experiments.';

/** Registers the Model Lab commands (palette, Explorer and editor menus, CodeLens, Runs view). */
export function registerRunCommands(deps: CommandDeps): vscode.Disposable {
  const c = new RunCommands(deps);
  // Runs found running when the window opens (a reload, a reopened folder) get their progress back.
  const reattached = deps.runs.onDidReattach((run) => void c.followWithProgress(run, true));
  const reg = (id: string, fn: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, (...args: unknown[]) => fn.apply(c, args));
  return vscode.Disposable.from(
    reg('modelLab.runExperiment', c.runExperiment),
    reg('modelLab.runWithPolicy', c.runWithPolicy),
    reg('modelLab.comparePolicies', c.comparePolicies),
    reg('modelLab.cancelRun', c.cancelRun),
    reg('modelLab.openTimeline', c.openTimeline),
    reg('modelLab.showLog', () => deps.log.show()),
    reg('modelLab.refreshRuns', () => deps.tree.refresh()),
    reg('modelLab.revealRun', c.revealRun),
    reg('modelLab.resumeRun', c.resumeRun),
    reg('modelLab.deleteRun', c.deleteRun),
    reg('modelLab.openRunExperiment', c.openRunExperiment),
    reg('modelLab.pauseRun', (arg: unknown) => c.setPaused(arg, true)),
    reg('modelLab.continueRun', (arg: unknown) => c.setPaused(arg, false)),
    registerProveResult({ extensionUri: deps.extensionUri, log: deps.log, refresh: () => deps.tree.refresh() }, runDirFrom),
    reattached,
  );
}

class RunCommands {
  constructor(private readonly deps: CommandDeps) {}

  // Each command reads the experiment file once and validates it before anything starts; the run
  // gets the validated experiment (the run process does not read the file again).

  async runExperiment(arg?: unknown): Promise<void> {
    const file = await this.experimentFrom(arg);
    if (!file || !(await this.checkCanRun(file))) return;
    const text = await this.readExperiment(file);
    const loaded = text === undefined ? undefined : this.validate(file, text);
    if (!loaded) return;
    const exp = loaded.experiment;
    if (exp.kind === 'reward-compare') {
      // A reward comparison is interactive: it opens the heatmap panel instead of a run.
      await vscode.commands.executeCommand('modelLab.compareRewards', vscode.Uri.file(exp.rewards), { canon: exp.canon, norm: exp.norm, metric: exp.metric });
      return;
    }
    await this.runAndReport({ experiment: loaded }, exp.kind);
  }

  async runWithPolicy(arg?: unknown): Promise<void> {
    const file = await this.experimentFrom(arg);
    if (!file || !(await this.checkCanRun(file))) return;
    const text = await this.readExperiment(file);
    if (text === undefined || !trainOnly(file, text)) return;
    const pick = await vscode.window.showQuickPick(
      POLICY_CHOICES.map((p) => ({ label: p.label, description: p.description, detail: p.detail, policy: p.policy })),
      { title: `Run ${path.basename(file)} with policy`, placeHolder: 'Choose a freezing policy (overrides freezing.policy for this run)', matchOnDescription: true, matchOnDetail: true },
    );
    if (!pick) return;
    const policyOptions = await askPolicyOptions(file, text, pick.policy);
    if (policyOptions === null) return;
    const loaded = this.validate(file, text, { policy: pick.policy, policyOptions });
    if (loaded) await this.runAndReport({ experiment: loaded }, 'train');
  }

  async comparePolicies(arg?: unknown): Promise<void> {
    const file = await this.experimentFrom(arg);
    if (!file || !(await this.checkCanRun(file))) return;
    const text = await this.readExperiment(file);
    if (text === undefined || !trainOnly(file, text)) return;
    // Pre-select the baseline and the file's own policy (smartfrz when the file has none).
    const own = peekExperiment(text).policy;
    const defaults = new Set(['none', own && own !== 'none' ? own : 'smartfrz']);
    const picks = await vscode.window.showQuickPick(
      POLICY_CHOICES.map((p) => ({ label: p.label, description: p.description, detail: p.detail, policy: p.policy, picked: defaults.has(p.policy) })),
      { title: `Compare policies on ${path.basename(file)}`, placeHolder: 'Pick the policies to run one after another; the timeline overlays them', canPickMany: true },
    );
    if (!picks || picks.length === 0) return;
    // What each policy needs that the file does not give, then every variant validated before
    // the first run starts: a problem stops them all up front.
    const runs: { policy: FreezingPolicyName; loaded: LoadedExperiment }[] = [];
    for (const pick of picks) {
      const policyOptions = await askPolicyOptions(file, text, pick.policy);
      if (policyOptions === null) return;
      const loaded = this.validate(file, text, { policy: pick.policy, policyOptions });
      if (!loaded) return;
      runs.push({ policy: pick.policy, loaded });
    }
    const runDirs: string[] = [];
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Model Lab: comparing ${picks.length} policies`, cancellable: true },
      async (progress, token) => {
        for (const [i, pick] of runs.entries()) {
          if (token.isCancellationRequested) break;
          const run = this.deps.runs.start({ experiment: pick.loaded });
          runDirs.push(run.runDir);
          if (i === 0) TimelinePanel.show(this.deps, [run.runDir], true);
          else TimelinePanel.addRun(this.deps, run.runDir);
          const cancel = token.onCancellationRequested(() => this.deps.runs.cancel(run.runDir));
          const sub = this.deps.runs.onDidRunEvent(({ run: r, event }) => {
            if (r === run && event.type === 'epoch') progress.report({ message: `${pick.policy} (${i + 1}/${picks.length}): ${progressMessage(run.progress)}` });
          });
          progress.report({ message: `${pick.policy} (${i + 1}/${picks.length}): starting…`, increment: i === 0 ? 0 : 100 / picks.length });
          const outcome = await run.done;
          cancel.dispose();
          sub.dispose();
          if (outcome.status === 'failed' || outcome.status === 'crashed') {
            this.reportOutcome(file, run, outcome);
            break;
          }
        }
      },
    );
    if (runDirs.length) void vscode.window.showInformationMessage(`Model Lab: compared ${runDirs.length} policies on ${path.basename(file)}.`, 'Open Timeline').then((a) => {
      if (a) TimelinePanel.show(this.deps, runDirs);
    });
  }

  async cancelRun(arg?: unknown): Promise<void> {
    const active = this.deps.runs.activeRuns();
    let runDir = runDirFrom(arg);
    if (!runDir && isExperimentFile(arg as vscode.Uri)) runDir = this.deps.runs.activeFor((arg as vscode.Uri).fsPath)?.runDir;
    if (!runDir) {
      if (active.length === 0) {
        void vscode.window.showInformationMessage('Model Lab: no run is active in this window.');
        return;
      }
      if (active.length === 1) runDir = active[0].runDir;
      else {
        const pick = await vscode.window.showQuickPick(
          active.map((r) => ({ label: `${path.basename(r.experimentFile)} · ${r.policy}`, description: progressMessage(r.progress), runDir: r.runDir })),
          { title: 'Cancel which run?' },
        );
        runDir = pick?.runDir;
      }
    }
    const notSent = runDir ? this.deps.runs.cancel(runDir) : undefined;
    if (notSent) void vscode.window.showInformationMessage(`Model Lab: could not cancel the run: ${notSent}.`);
  }

  /** Pause Run / Continue Run: the run waits at its next epoch boundary while its folder has a `pause` file. */
  setPaused(arg: unknown, paused: boolean): void {
    const runDir = runDirFrom(arg) ?? (this.deps.runs.activeRuns().length === 1 ? this.deps.runs.activeRuns()[0].runDir : undefined);
    if (!runDir) {
      void vscode.window.showInformationMessage('Model Lab: choose a running run in the Runs view.');
      return;
    }
    setPauseRequest(runDir, paused);
    this.deps.log.info(`[${path.basename(runDir)}] ${paused ? 'pause requested (at the next epoch boundary)' : 'continue requested'}`);
    this.deps.tree.refresh();
  }

  async openTimeline(arg?: unknown): Promise<void> {
    // A sweep: its train runs overlaid in one timeline.
    const node = arg as RunsNode | undefined;
    if (node && typeof node === 'object' && node.kind === 'sweep') {
      const runDirs = node.sweep.runs.filter(isTrainRun).map((r) => r.runDir);
      if (runDirs.length > 0) TimelinePanel.show(this.deps, runDirs);
      return;
    }
    let runDir = runDirFrom(arg);
    if (!runDir) {
      const file = isExperimentFile(arg as vscode.Uri) ? (arg as vscode.Uri).fsPath : activeExperimentFile();
      if (file) {
        const latest = await this.deps.index.latest(file);
        if (!latest) {
          void vscode.window.showInformationMessage(`Model Lab: ${path.basename(file)} has no runs yet. Run it first.`, 'Run Experiment').then((a) => {
            if (a) void vscode.commands.executeCommand('modelLab.runExperiment', vscode.Uri.file(file));
          });
          return;
        }
        runDir = latest.runDir;
      }
    }
    if (!runDir) {
      const runs = (await this.deps.tree.getChildren()).flatMap((n) => (n.kind === 'experiment' ? n.group.runs : []));
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({ label: `${r.experiment} · ${r.policy}`, description: r.status, detail: r.runId, runDir: r.runDir })),
        { title: 'Open the timeline of which run?', placeHolder: runs.length ? undefined : 'No runs in this workspace yet' },
      );
      runDir = pick?.runDir;
    }
    if (!runDir) return;
    const record = await readRunRecord(runDir);
    if (record && !isTrainRun(record)) await showRunResults(runDir, record.kind);
    else TimelinePanel.show(this.deps, [runDir]);
  }

  /**
   * Reveal Run Folder: in the operating system's file manager on a local desktop window; in the
   * Explorer where there is none to open (code-server, a browser, remote windows: the folder
   * is on another machine than the user's file manager); the run's record when the folder is
   * outside the workspace.
   */
  async revealRun(arg?: unknown): Promise<void> {
    const runDir = runDirFrom(arg);
    if (!runDir) return;
    const folder = vscode.Uri.file(runDir);
    const local = vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined;
    if (local && (await vscode.commands.getCommands(true)).includes('revealFileInOS')) {
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path.join(runDir, RUN_FILE)));
    } else if (vscode.workspace.getWorkspaceFolder(folder)) {
      await vscode.commands.executeCommand('revealInExplorer', folder);
    } else {
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(runDir, RUN_FILE)), { preview: true });
      void vscode.window.showInformationMessage(`Model Lab: the run folder is outside the workspace: ${runDir}`);
    }
  }

  async openRunExperiment(arg?: unknown): Promise<void> {
    const runDir = runDirFrom(arg);
    const record = runDir ? await readRunRecord(runDir) : undefined;
    if (record) await vscode.window.showTextDocument(vscode.Uri.file(record.experimentFile), { preview: false });
  }

  async resumeRun(arg?: unknown): Promise<void> {
    const runDir = runDirFrom(arg);
    const record = runDir ? await readRunRecord(runDir) : undefined;
    if (!record || !runDir) return;
    if (!(await this.checkCanRun(record.experimentFile))) return;
    const { alive, holder } = runLiveness(runDir);
    if (alive) {
      void vscode.window.showWarningMessage(`Model Lab: run ${record.runId} is running (pid ${holder?.pid}, ${holder?.command}); cancel it before resuming.`);
      return;
    }
    await this.runAndReport({ resumeDir: runDir, experimentFile: record.experimentFile }, record.kind ?? 'train');
  }

  async deleteRun(arg?: unknown): Promise<void> {
    const runDir = runDirFrom(arg);
    if (!runDir) return;
    if (this.deps.runs.get(runDir) || runLiveness(runDir).alive) {
      void vscode.window.showWarningMessage('Model Lab: cancel the run before deleting it.');
      return;
    }
    const record = await readRunRecord(runDir);
    const answer = await vscode.window.showWarningMessage(
      `Delete run ${record ? `${record.experiment} · ${record.policy}` : path.basename(runDir)}?`,
      { modal: true, detail: `This permanently removes its folder (events, checkpoints, model):\n${runDir}` },
      'Delete',
    );
    if (answer !== 'Delete') return;
    try {
      await deleteRun(runDir);
      this.deps.tree.refresh();
    } catch (e) {
      void vscode.window.showErrorMessage(`Model Lab: could not delete the run: ${(e as Error).message}`);
    }
  }

  /** Starts a run with a cancellable progress notification, then reports how it went. */
  private async runAndReport(source: RunSource, kind: ExperimentKind): Promise<RunOutcome | undefined> {
    let run: ActiveRun;
    try {
      run = this.deps.runs.start(source);
    } catch (e) {
      void vscode.window.showErrorMessage(`Model Lab: could not start the run: ${(e as Error).message}`);
      return undefined;
    }
    if (openTimelineOnRun()) {
      if (kind === 'train') TimelinePanel.show(this.deps, [run.runDir], true);
      else resultViewFor(kind)?.open([run.runDir], { preserveFocus: true });
    }
    return this.followWithProgress(run, false, 'resumeDir' in source);
  }

  /**
   * Shows a run's progress (a cancellable notification, if the setting allows) until it ends,
   * then reports how it went. Used for runs this window starts and for runs it reattaches to.
   */
  async followWithProgress(run: ActiveRun, reattached: boolean, resuming = false): Promise<RunOutcome> {
    const name = path.basename(run.experimentFile);
    const verb = reattached ? 'running (reattached)' : resuming ? 'resuming' : 'running';
    const outcome = showNotificationProgress()
      ? await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Model Lab: ${verb} ${name}`, cancellable: true },
          async (progress, token) => {
            const cancel = token.onCancellationRequested(() => this.deps.runs.cancel(run.runDir));
            let done = 0;
            const report = () => {
              const p = run.progress;
              const fraction = p.fraction ?? (p.epochs ? p.epochsDone / p.epochs : 0);
              const increment = 100 * fraction - done;
              done += increment;
              progress.report({ message: `${run.policy || ''} · ${progressMessage(p)}`, increment });
            };
            const sub = this.deps.runs.onDidRunEvent(({ run: r, event }) => {
              if (r === run && ['epoch', 'start', 'freeze', 'progress'].includes(event.type)) report();
            });
            if (run.events.length) report();
            else progress.report({ message: 'starting…' });
            try {
              return await run.done;
            } finally {
              cancel.dispose();
              sub.dispose();
            }
          },
        )
      : await run.done;
    this.reportOutcome(run.experimentFile, run, outcome);
    return outcome;
  }

  /**
   * Tells the user how a run ended. Not awaited by the commands: a notification stays until
   * dismissed, and commands (and tests calling them) should finish when the run does.
   */
  private reportOutcome(file: string, run: ActiveRun, outcome: RunOutcome): void {
    const name = path.basename(file);
    const s = outcome.summary;
    if (outcome.status === 'completed' && s) {
      const msg = `Model Lab: ${name} (${isTrainSummary(s) ? s.policy : s.kind}) completed — ${outcomeText(s)}.`;
      if (isTrainSummary(s)) {
        void vscode.window.showInformationMessage(msg, 'Open Timeline').then((a) => {
          if (a) TimelinePanel.show(this.deps, [run.runDir]);
        });
        return;
      }
      const modelFile = s.kind === 'extract-train' ? s.modelFile : undefined;
      const actions = modelFile ? ['Use for Extraction', 'Show Results'] : ['Show Results'];
      void vscode.window.showInformationMessage(msg, ...actions).then(async (a) => {
        if (a === 'Show Results') await showRunResults(run.runDir, s.kind);
        if (a === 'Use for Extraction' && modelFile) {
          await vscode.workspace.getConfiguration('modelLab.extraction').update('builtinModel', modelFile, vscode.ConfigurationTarget.Workspace);
          void vscode.window.showInformationMessage(`Model Lab: Extract Information now uses ${vscode.workspace.asRelativePath(modelFile)} (setting modelLab.extraction.builtinModel).`);
        }
      });
    } else if (outcome.status === 'cancelled') {
      void vscode.window.showInformationMessage(`Model Lab: ${name} was cancelled; it can be resumed from the Runs view.`, 'Resume').then((a) => {
        if (a) void this.resumeRun(vscode.Uri.file(run.runDir));
      });
    } else {
      this.showRunError(name, outcome.status, outcome.error);
    }
  }

  /** The experiment file's text, read once per command; undefined (and the user told why) when it cannot be read. */
  private async readExperiment(file: string): Promise<string | undefined> {
    try {
      return (await readExperimentFile(file)).text;
    } catch (e) {
      this.showRunError(path.basename(file), 'cannot run', toErrorInfo(e));
      return undefined;
    }
  }

  /**
   * The experiment validated for one run (`override`: another freezing policy and its options);
   * undefined when it is invalid, after showing the first problem (the Problems view lists them all).
   */
  private validate(file: string, text: string, override: PolicyOverride = {}): LoadedExperiment | undefined {
    try {
      return loadExperimentText(text, path.resolve(file), override);
    } catch (e) {
      if (!isUserError(e)) throw e;
      this.deps.log.warn(`cannot run ${file}: ${e.format()}`);
      // Opening the document (without showing it) puts all of its problems in the Problems view.
      void vscode.workspace.openTextDocument(vscode.Uri.file(file)).then(undefined, () => undefined);
      this.showRunError(path.basename(file), 'cannot run', toErrorInfo(e));
      return undefined;
    }
  }

  private showRunError(name: string, what: string, err: RunErrorInfo | undefined): void {
    const where = err?.line ? ` (${err.file && path.basename(err.file) !== name ? `${path.basename(err.file)}, ` : ''}line ${err.line})` : '';
    const actions = err?.file && err.line ? ['Go to Problem', 'Show Log'] : ['Show Log'];
    const message = (err?.message ?? 'unknown error').split('\n')[0];
    void vscode.window.showErrorMessage(`Model Lab: ${name} ${what}: ${message}${where}`, ...actions).then(async (a) => {
      if (a === 'Show Log') this.deps.log.show();
      if (a === 'Go to Problem' && err?.file && err.line) {
        const pos = new vscode.Position(err.line - 1, Math.max(0, (err.column ?? 1) - 1));
        await vscode.window.showTextDocument(vscode.Uri.file(err.file), { selection: new vscode.Range(pos, pos) });
      }
    });
  }

  /** Refuses runs in Restricted Mode, with the reason and a way to change it. */
  private async checkCanRun(file: string): Promise<boolean> {
    if (!vscode.workspace.isTrusted) {
      this.deps.log.warn(`refused to run ${file}: the workspace is not trusted (Restricted Mode)`);
      const a = await vscode.window.showWarningMessage(RESTRICTED_MESSAGE, 'Manage Workspace Trust');
      if (a) await vscode.commands.executeCommand('workbench.trust.manage');
      return false;
    }
    const busy = this.deps.runs.activeFor(file);
    if (busy) {
      const a = await vscode.window.showWarningMessage(`Model Lab: ${path.basename(file)} is already running.`, 'Open Timeline', 'Run Another');
      if (a === 'Open Timeline') TimelinePanel.show(this.deps, [busy.runDir]);
      return a === 'Run Another';
    }
    return true;
  }

  /** The experiment file a command applies to: its argument, the active editor, or a pick. */
  private async experimentFrom(arg: unknown): Promise<string | undefined> {
    if (isExperimentFile(arg as vscode.Uri)) return (arg as vscode.Uri).fsPath;
    const node = arg as RunsNode | undefined;
    if (node && typeof node === 'object' && node.kind === 'experiment') return node.group.experimentFile;
    const active = activeExperimentFile();
    if (active) return active;
    const files = await vscode.workspace.findFiles(EXPERIMENT_GLOB, '**/{node_modules,.model-lab}/**', 200);
    if (files.length === 0) {
      void vscode.window.showInformationMessage('Model Lab: no *.experiment.json file in this workspace.');
      return undefined;
    }
    if (files.length === 1) return files[0].fsPath;
    const pick = await vscode.window.showQuickPick(
      files.map((f) => ({ label: path.basename(f.fsPath), description: vscode.workspace.asRelativePath(f), uri: f })),
      { title: 'Which experiment?' },
    );
    return pick?.uri.fsPath;
  }
}

/** The experiment's JSON, read tolerantly (validation reports the real problems). */
function parseDocument(text: string): Record<string, any> | undefined {
  try {
    const doc = parseJsonc(text);
    return typeof doc === 'object' && doc !== null ? doc : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks for the options `policy` needs that the file does not give (static: which layers and
 * when), one step after the other; undefined when nothing is needed, null when the user cancels.
 */
async function askPolicyOptions(file: string, text: string, policy: string): Promise<Record<string, unknown> | undefined | null> {
  const prompts = policyOptionPrompts(policy, parseDocument(text));
  if (prompts.length === 0) return undefined;
  const options: Record<string, unknown> = {};
  for (const [i, p] of prompts.entries()) {
    const title = `${policy} on ${path.basename(file)} (${i + 1}/${prompts.length}): ${p.title}`;
    if (p.kind === 'pick') {
      const item = await vscode.window.showQuickPick(p.items, { title, placeHolder: p.placeHolder, ignoreFocusOut: true });
      if (!item) return null;
      Object.assign(options, item.options);
    } else {
      const text = await vscode.window.showInputBox({ title, prompt: p.prompt, value: p.value, validateInput: p.validate, ignoreFocusOut: true });
      if (text === undefined) return null;
      Object.assign(options, p.options(text));
    }
  }
  return options;
}

/** Freezing policies apply to train experiments; says so for other kinds. */
function trainOnly(file: string, text: string): boolean {
  const { kind } = peekExperiment(text);
  if (kind === 'train') return true;
  void vscode.window.showInformationMessage(`Model Lab: ${path.basename(file)} is a "${kind}" experiment; freezing policies apply to "train" experiments. Use Run Experiment.`);
  return false;
}

/** A run of another kind than train opens its kind's panel if it has one, else its `summary.json`. */
async function showRunResults(runDir: string, kind: string | undefined): Promise<void> {
  const view = resultViewFor(kind);
  if (view) {
    view.open([runDir]);
    return;
  }
  const summary = path.join(runDir, SUMMARY_FILE);
  await vscode.window.showTextDocument(vscode.Uri.file(existsSync(summary) ? summary : path.join(runDir, RUN_FILE)), { preview: true });
}

function activeExperimentFile(): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return isExperimentFile(uri) ? uri.fsPath : undefined;
}

/** A run folder from a command argument: a Runs view node or the Uri of a run folder. */
function runDirFrom(arg: unknown): string | undefined {
  const node = arg as RunsNode | undefined;
  if (node && typeof node === 'object' && (node as RunsNode).kind === 'run') return (node as { run: RunRecord }).run.runDir;
  if (arg instanceof vscode.Uri && arg.scheme === 'file' && !arg.path.endsWith('.experiment.json')) return arg.fsPath;
  return undefined;
}
