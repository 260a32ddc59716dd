import * as path from 'node:path';
import { isGcrlPanelState, isWebviewToHost as isGcrlMessage, type HostToWebview as GcrlOut, type WebviewToHost as GcrlIn } from '../../panels/gcrl/messages';
import { isSkillsPanelState, isWebviewToHost as isSkillsMessage, type HostToWebview as SkillsOut, type WebviewToHost as SkillsIn } from '../../panels/skills/messages';
import type { GcrlRunView } from '../../panels/gcrl/viewModel';
import type { SkillsRunView } from '../../panels/skills/viewModel';
import type { RunFolderPanelKind } from '../webview/runFolderPanel';
import { loadGcrlRun, loadSkillsRun, valueFor } from './rlRunSource';


/** The skills panel: trajectories by skill and coverage over training, several runs side by side. */
export const SKILLS_PANEL: RunFolderPanelKind<SkillsIn, SkillsOut> = {
  viewType: 'modelLab.skills',
  bundle: 'skills',
  title: 'Skills',
  label: 'skills panel',
  isMessage: isSkillsMessage,
  restore: (s) => (isSkillsPanelState(s) ? s.runDirs.filter((d) => path.isAbsolute(d)) : []),
  results: ['skills'],
  compares: true,
  async update(panel) {
    const loaded = await Promise.all(panel.folders.map((d) => loadSkillsRun(d, panel.deps.runs).catch(() => undefined)));
    const runs = loaded.filter((r): r is SkillsRunView => r !== undefined);
    const title = titleOf(runs.map((r) => r.experiment), 'Skills');
    panel.panel.title = runs.length > 1 ? `Skills: ${title} (${runs.length} runs)` : `Skills: ${title}`;
    await panel.post({ type: 'runs', title, runs });
    const missing = panel.folders.length - runs.length;
    if (missing > 0) await panel.post({ type: 'notice', level: 'warning', text: `${missing} run folder(s) are missing or not skills runs.` });
  },
};

/** The offline goal-conditioned RL panel: maze, value heatmap on request, rollouts, success per task. */
export const GCRL_PANEL: RunFolderPanelKind<GcrlIn, GcrlOut> = {
  viewType: 'modelLab.gcrl',
  bundle: 'gcrl',
  title: 'Offline Goal-Conditioned RL',
  label: 'offline-gcrl panel',
  isMessage: isGcrlMessage,
  restore: (s) => (isGcrlPanelState(s) ? s.runDirs.filter((d) => path.isAbsolute(d)) : []),
  results: ['offline-gcrl'],
  compares: true,
  async update(panel) {
    const loaded = await Promise.all(panel.folders.map((d) => loadGcrlRun(d, panel.deps.runs).catch(() => undefined)));
    const ok = loaded.filter((r): r is { view: GcrlRunView; layout: string[] } => r !== undefined);
    // Runs compared in one panel share a maze; a run of another maze is left out (and said so).
    const layout = ok[0]?.layout ?? [];
    const same = ok.filter((r) => r.layout.join('\n') === layout.join('\n'));
    const runs = same.map((r) => r.view);
    const title = titleOf(runs.map((r) => r.experiment), 'Offline Goal-Conditioned RL');
    panel.panel.title = runs.length > 1 ? `Maze: ${title} (${runs.length} runs)` : `Maze: ${title}`;
    await panel.post({ type: 'runs', title, layout, runs });
    const notes: string[] = [];
    if (loaded.length > ok.length) notes.push(`${loaded.length - ok.length} run folder(s) are missing or not offline-gcrl runs`);
    if (ok.length > same.length) notes.push(`${ok.length - same.length} run(s) of another maze are not shown`);
    if (notes.length) await panel.post({ type: 'notice', level: 'warning', text: `${notes.join('; ')}.` });
  },
  async handle(panel, m) {
    if (m.type !== 'selectGoal') return;
    const dir = panel.folderOf(m.runId);
    const v = dir ? await valueFor(dir, m.goal) : undefined;
    if (v) await panel.post({ type: 'value', runId: m.runId, goal: m.goal, cells: v.cells, values: v.values });
    else await panel.post({ type: 'notice', level: 'info', text: `No value for goal [${m.goal}] in ${dir ? path.basename(dir) : 'this run'} (the value grid is written when a run ends).` });
  },
};

function titleOf(experiments: string[], fallback: string): string {
  const names = [...new Set(experiments.filter(Boolean))];
  return names.length ? names.join(', ') : fallback;
}
