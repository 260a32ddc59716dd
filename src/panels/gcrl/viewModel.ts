import type { RunEvent } from '../../core/train/events';

/**
 * The offline goal-conditioned RL panel's view of one `offline-gcrl` run (HIQL, GCIVL, GCBC),
 * folded from its events and result files. Pure (host and tests).
 */
export interface GcrlTaskView {
  start: [number, number];
  goal: [number, number];
  shortestPath: number;
  successRate: number;
}

export interface GcrlRolloutView {
  task: number;
  success: boolean;
  positions: [number, number][];
  /** HIQL: the subgoal proposed at each step. */
  subgoals?: [number, number][];
}

export interface GcrlRunView {
  runId: string;
  runDir: string;
  experiment: string;
  algo: string;
  status: 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'diverged';
  epochs: number;
  epochsDone: number;
  message?: string;
  /** Success rate (mean over tasks) at each evaluation. */
  success: { epoch: number; successRate: number }[];
  /** Per task at the latest evaluation. */
  tasks: GcrlTaskView[];
  /** Recorded episodes of the final evaluation (from rollouts.json). */
  rollouts: GcrlRolloutView[];
  /** The run wrote value.json (V for every goal cell): the heatmap can show it. */
  hasValue: boolean;
}

export interface GcrlRunInfo {
  runId: string;
  runDir: string;
  experiment: string;
  algo: string;
  status: GcrlRunView['status'];
  epochs: number;
  message?: string;
  rollouts?: GcrlRolloutView[];
  hasValue: boolean;
}

/** Folds a run's events; a resumed run repeats some (the last per epoch wins). */
export function gcrlRunView(info: GcrlRunInfo, events: readonly RunEvent[]): GcrlRunView {
  const success = new Map<number, number>();
  let tasks: GcrlTaskView[] = [];
  let epochsDone = 0;
  let epochs = info.epochs;
  for (const e of events) {
    if (e.type === 'rl-epoch') {
      epochsDone = e.epoch;
      epochs = e.epochs;
    } else if (e.type === 'gcrl-eval') {
      success.set(e.epoch, e.successRate);
      tasks = e.tasks.map((t) => ({ start: t.start, goal: t.goal, shortestPath: t.shortestPath, successRate: t.successRate }));
    }
  }
  return {
    runId: info.runId,
    runDir: info.runDir,
    experiment: info.experiment,
    algo: info.algo,
    status: info.status,
    epochs,
    epochsDone,
    message: info.message,
    success: [...success.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, successRate]) => ({ epoch, successRate })),
    tasks,
    rollouts: info.rollouts ?? [],
    hasValue: info.hasValue,
  };
}

/** "[11,1]→[15,17] (48)": a task's label in charts and lists. */
export function taskLabel(t: { start: [number, number]; goal: [number, number]; shortestPath?: number }, index: number): string {
  return `${index + 1}: [${t.start}]→[${t.goal}]${t.shortestPath !== undefined ? ` (${t.shortestPath})` : ''}`;
}

/** Distinct labels for runs shown together: the algorithm, plus the run id's tail when algorithms repeat. */
export function runLabels(runs: readonly { algo: string; runId: string }[]): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.algo, (counts.get(r.algo) ?? 0) + 1);
  return runs.map((r) => ((counts.get(r.algo) ?? 0) > 1 ? `${r.algo} · ${r.runId.slice(-4)}` : r.algo));
}

/** One goal's values from a value grid (`value.json`), or undefined if the goal is not a free cell. */
export function valuesForGoal(grid: { cells: [number, number][]; goals: [number, number][]; values: number[][] }, goal: [number, number]): number[] | undefined {
  const j = grid.goals.findIndex((g) => g[0] === goal[0] && g[1] === goal[1]);
  return j < 0 ? undefined : grid.values[j];
}
