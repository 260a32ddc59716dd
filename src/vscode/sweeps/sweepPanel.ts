import * as path from 'node:path';
import * as vscode from 'vscode';
import { isSweepPanelState, isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/sweep/messages';
import { sweepView, type SweepView } from '../../panels/sweep/viewModel';
import { slurmView } from '../../runner/slurm';
import { pointRunDir, readSweepPlan, sweepDir } from '../../runner/sweepPlan';
import { isSettled, sweepState } from '../../runner/sweepState';
import { postFolderView, type RunFolderPanelKind } from '../webview/runFolderPanel';

/** While points are queued or running, the sweep is read again this often (Slurm's queue writes no file). */
const POLL_MS = 2000;

/**
 * The sweep panel: a sweep's parameters against its points' final metric, as parallel
 * coordinates and one scatter per parameter. It reads the sweep's plan and its points' run
 * folders (and Slurm's queue for a Slurm sweep) with the same `sweepState` as
 * `model-lab sweep --status`, again when the run store changes (its points run in processes of
 * their own) and every 2 s while points are queued or running. Hosted by `RunFolderPanel`; the
 * webview persists the sweep folder for the serializer.
 */
export const SWEEP_PANEL: RunFolderPanelKind<WebviewToHost, HostToWebview> = {
  viewType: 'modelLab.sweep',
  title: 'Sweep',
  bundle: 'sweep',
  label: 'sweep panel',
  isMessage: isWebviewToHost,
  restore: (s) => (isSweepPanelState(s) && path.isAbsolute(s.sweepDir) ? [s.sweepDir] : undefined),
  watch: (panel) => [panel.deps.index.onDidChange(() => panel.refreshIn(300))],
  async update(panel) {
    const view = await postFolderView(panel, 'a sweep folder', loadSweepView, (v) => `Sweep: ${v.name}`);
    if (view?.points.some((p) => !isSettled(p.status))) panel.refreshIn(POLL_MS);
  },
  async handle(panel, m) {
    if (m.type !== 'openRun') return;
    const plan = await readSweepPlan(panel.folders[0]);
    const point = plan.points.find((p) => p.runId === m.runId);
    if (point) await vscode.commands.executeCommand('modelLab.openTimeline', vscode.Uri.file(pointRunDir(plan, point)));
  },
};

/** A sweep's view from its folder: the plan, each point's run folder, and Slurm's view of a Slurm sweep's tasks. */
export async function loadSweepView(dir: string): Promise<SweepView> {
  const plan = await readSweepPlan(dir);
  const points = await sweepState(plan, plan.executor === 'slurm' ? await slurmView(plan).catch(() => undefined) : undefined);
  const jobId = plan.slurm?.jobs.at(-1)?.jobId;
  return sweepView({ sweepId: plan.sweepId, sweepDir: sweepDir(plan), name: plan.name, executor: plan.executor, ...(jobId ? { jobId } : {}), points });
}
