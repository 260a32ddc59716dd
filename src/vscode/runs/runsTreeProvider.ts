import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isPausableRun, isTrainRun, PAUSE_FILE, type RunRecord } from '../../runner/runStore';
import { readRunMeta, type RunMeta } from '../../runner/runMeta';
import { md } from '../util/markdown';
import { untrustedMarkdown } from '../util/untrustedMarkdown';
import { formatPercent, formatSeconds } from '../../panels/shared/format';
import { bestRun, canResume, canResumeSweep, describeRun, describeSweep, experimentChildren, groupRuns, isSweepRunning, pointLabel, sweepTitle, type RunGroup, type SweepGroup } from './runGroups';
import { sweepStopped } from '../sweeps/sweepStopped';
import type { RunIndex } from './runIndex';
import type { RunManager } from './runManager';
import { canProve, provenLabel } from './proveResult';

export type RunsNode = { kind: 'experiment'; group: RunGroup } | { kind: 'sweep'; sweep: SweepGroup; experimentFile: string } | { kind: 'run'; run: RunRecord; meta?: RunMeta };

/** How often a sweep with points not begun is looked at again (its Slurm view is cached this long, `sweepStopped`). */
const SWEEP_RECHECK_MS = 3500;

const STATUS_ICONS: Record<RunRecord['status'], [string, string | undefined]> = {
  running: ['sync~spin', 'progressBar.background'],
  completed: ['pass-filled', 'testing.iconPassed'],
  cancelled: ['circle-slash', 'editorWarning.foreground'],
  failed: ['error', 'testing.iconFailed'],
  interrupted: ['debug-pause', 'editorWarning.foreground'],
  diverged: ['warning', 'testing.iconFailed'],
};

/**
 * The Runs view: one node per experiment file of the workspace that has runs, its runs
 * beneath (newest first). Context values drive the inline and context-menu actions
 * (`run.resumable` for resume, `run.running` for cancel).
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | RunsNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The run rows the view shows now, by run folder: a live run's progress redraws its row alone. */
  private readonly runNodes = new Map<string, Extract<RunsNode, { kind: 'run' }>>();
  private readonly progressed = new Set<string>();
  private progressTimer: NodeJS.Timeout | undefined;

  constructor(private readonly index: RunIndex, private readonly manager: RunManager) {
    const soon = () => this.refreshSoon();
    this.subscriptions.push(
      index.onDidChange(soon),
      manager.onDidChangeRuns(soon),
      manager.onDidRunEvent(({ run, event }) => {
        if (event.type === 'epoch') this.progressSoon(run.runDir);
        // A live run logs when its record changes without an epoch (paused, continuing): read the store again.
        else if (event.type === 'log') index.invalidate();
      }),
    );
  }

  refresh(): void {
    this.index.invalidate();
    this.changed.fire(undefined);
  }

  private recheck: NodeJS.Timeout | undefined;

  private refreshLater(ms: number): void {
    if (this.recheck) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      this.changed.fire(undefined);
    }, ms);
  }

  /** Runs started, ended or changed in the store: redraw the view at most once a second (a redraw reads the run store). */
  private refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire(undefined);
    }, 1000);
  }

  /**
   * A live run's epochs redraw its own row, at most once a second. Redrawing the whole view on
   * every epoch would close a context menu open on any row, and a menu command chosen while the
   * view is being redrawn gets no row to act on (microsoft/vscode#144250).
   */
  private progressSoon(runDir: string): void {
    this.progressed.add(runDir);
    if (this.progressTimer) return;
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      const dirs = [...this.progressed];
      this.progressed.clear();
      const nodes = dirs.map((d) => this.runNodes.get(d));
      // A run the view does not show yet (just started) needs the whole view read again.
      if (nodes.some((n) => n === undefined)) this.changed.fire(undefined);
      else this.changed.fire(nodes as RunsNode[]);
    }, 1000);
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (node?.kind === 'run') return [];
    // A run's name, tags and note (meta.json) label it; edited with "Edit Name, Tags and Note...".
    const runNode = async (run: RunRecord): Promise<RunsNode> => {
      const n = { kind: 'run' as const, run, meta: await readRunMeta(run.runDir) };
      this.runNodes.set(run.runDir, n);
      return n;
    };
    if (node?.kind === 'sweep') return Promise.all(node.sweep.runs.map(runNode));
    if (node?.kind === 'experiment') {
      const children = await Promise.all(experimentChildren(node.group.runs).map(async (c): Promise<RunsNode> =>
        c.kind === 'sweep' ? { kind: 'sweep', sweep: { ...c.sweep, stopped: await sweepStopped(c.sweep) }, experimentFile: node.group.experimentFile } : runNode(c.run)));
      // A point that has not begun changes no file when its sweep is cancelled or Slurm drops it: look again.
      if (children.some((c) => c.kind === 'sweep' && c.sweep.runs.length < c.sweep.count && isSweepRunning(c.sweep))) this.refreshLater(SWEEP_RECHECK_MS);
      return children;
    }
    this.runNodes.clear();
    return (await this.allGroups()).map((group) => ({ kind: 'experiment', group }));
  }

  /** Runs of every experiment file in the workspace (and of files that runs mention). */
  private async allGroups(): Promise<RunGroup[]> {
    return groupRuns(await this.index.workspaceRuns());
  }

  /** The store's record of a live run lags behind its events: show the events' progress. */
  private withLiveProgress(run: RunRecord): RunRecord {
    const live = this.manager.get(run.runDir);
    if (!live) return run;
    const { epochsDone, accuracy } = live.progress;
    // The record can be ahead of the events read so far (a pause is recorded at the checkpoint after an epoch).
    return { ...run, status: 'running', epochsDone: Math.max(epochsDone, run.epochsDone), accuracy: accuracy ?? run.accuracy };
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'experiment') {
      const { group } = node;
      const item = new vscode.TreeItem(group.experiment || path.basename(group.experimentFile), vscode.TreeItemCollapsibleState.Expanded);
      item.id = `exp:${group.experimentFile}`;
      item.description = vscode.workspace.asRelativePath(group.experimentFile);
      item.resourceUri = vscode.Uri.file(group.experimentFile);
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.contextValue = 'experiment';
      item.tooltip = `${group.experimentFile}\n${group.runs.length} run(s)`;
      item.command = { title: 'Open Experiment', command: 'vscode.open', arguments: [vscode.Uri.file(group.experimentFile)] };
      return item;
    }
    if (node.kind === 'sweep') {
      const { sweep } = node;
      const running = isSweepRunning(sweep);
      const item = new vscode.TreeItem(sweepTitle(sweep), running ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `sweep:${node.experimentFile}:${sweep.sweepId}`;
      item.description = describeSweep(sweep);
      item.iconPath = new vscode.ThemeIcon(running ? 'sync~spin' : 'list-tree');
      // `sweep.running`: Cancel Sweep; `sweep.resumable`: Resume Sweep; every sweep: Open Sweep Chart.
      item.contextValue = ['sweep', running ? 'sweep.running' : '', canResumeSweep(sweep) ? 'sweep.resumable' : ''].filter(Boolean).join(' ');
      const best = bestRun(sweep);
      item.tooltip = untrustedMarkdown([md`**Sweep** ${sweep.sweepId}`, md`${describeSweep(sweep)}`, ...(best?.sweep ? [md`Best: ${pointLabel(best.sweep.params)}`] : [])].join('  \n'));
      return item;
    }
    // A live run's progress is read when its row is drawn (its row alone is redrawn as it goes).
    const r = this.withLiveProgress(node.run);
    const meta = node.meta;
    // A sweep's point is told apart by its values; other runs by their policy (a name given to a run comes first).
    const item = new vscode.TreeItem(meta?.name ?? (r.sweep ? pointLabel(r.sweep.params) : r.policy || r.runId), vscode.TreeItemCollapsibleState.None);
    item.id = `run:${r.runDir}`;
    item.description = [meta?.name ? r.policy : '', describeRun(r), provenLabel(r), meta?.tags.length ? meta.tags.map((t) => `#${t}`).join(' ') : ''].filter(Boolean).join(' · ');
    const [icon, color] = STATUS_ICONS[r.status] ?? ['circle-outline', undefined];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const running = r.status === 'running';
    // Pause applies to runs that count epochs (train, skills, offline-gcrl); a `pause` file is a pause asked for or in effect.
    const pauseAsked = running && isPausableRun(r) && existsSync(path.join(r.runDir, PAUSE_FILE));
    item.contextValue = [
      'run', running ? 'run.running' : '', canResume(r) ? 'run.resumable' : '',
      running && isPausableRun(r) ? (pauseAsked ? 'run.paused' : 'run.pausable') : '',
      r.status === 'completed' && isTrainRun(r) ? 'run.distillable' : '',
      canProve(r) ? 'run.provable' : '',
    ].filter(Boolean).join(' ');
    item.tooltip = runTooltip(r, meta);
    item.command = isTrainRun(r)
      ? { title: 'Open Freezing Timeline', command: 'modelLab.openTimeline', arguments: [node] }
      : { title: 'Show Results', command: 'modelLab.openTimeline', arguments: [node], tooltip: 'Opens the run\'s results (its panel, or its summary.json)' };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.progressTimer);
    clearTimeout(this.recheck);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

function runTooltip(r: RunRecord, meta?: RunMeta): vscode.MarkdownString {
  // Every value comes from the run folder: `md` shows it as text.
  const lines = [md`**${r.experiment}** · ${isTrainRun(r) ? 'policy' : 'kind'} **${r.policy}** · ${r.status}`, ''];
  if (meta?.name) lines.unshift(md`**${meta.name}**`);
  if (meta?.tags.length) lines.push(md`Tags: ${meta.tags.join(', ')}`);
  if (meta?.note) lines.push(md`Note: ${meta.note}`);
  if (isTrainRun(r)) lines.push(md`Epochs: ${r.epochsDone}/${r.epochs}`);
  if (r.accuracy !== undefined) lines.push(md`Test accuracy: ${formatPercent(r.accuracy, 2)}`);
  if (r.score) lines.push(md`${String(r.score.name).slice(0, 1).toUpperCase() + String(r.score.name).slice(1)}: ${formatPercent(r.score.value, 2)}`);
  if (r.trainSeconds !== undefined) lines.push(md`Training time: ${formatSeconds(r.trainSeconds)}`);
  if (r.backend) lines.push(md`Backend: ${r.backend}`);
  if (r.sweep) lines.push(md`Sweep point ${r.sweep.index + 1} of ${r.sweep.count}: ${pointLabel(r.sweep.params)}`);
  if (r.slurm) lines.push(md`Slurm job ${r.slurm.jobId}${r.slurm.arrayIndex !== undefined ? `_${r.slurm.arrayIndex}` : ''}`);
  if (r.error) {
    const at = r.error.file && r.error.line ? ` (${path.basename(r.error.file)}, line ${r.error.line}${r.error.pointer ? `, ${r.error.pointer}` : ''})` : '';
    lines.push('', md`**Error**${at}: ${String(r.error.message).split('\n')[0]}`);
  } else if (r.message) lines.push('', md`${r.message}`);
  lines.push('', md`Started ${new Date(r.startedAt).toLocaleString()}`, '', md`${r.runId}`);
  return untrustedMarkdown(lines.join('  \n'));
}

