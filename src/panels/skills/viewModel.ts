import type { RunEvent } from '../../core/train/events';

/**
 * The skills panel's view of one `skills` run (METRA, DIAYN), folded from its events: coverage
 * over training and the latest evaluation's trajectories. Pure (host and tests).
 */
export interface SkillsRunView {
  runId: string;
  runDir: string;
  experiment: string;
  algo: string;
  /** "metra · 2-D skills", "diayn · 8 skills". */
  label: string;
  status: 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'diverged';
  epochs: number;
  epochsDone: number;
  message?: string;
  coverage: { epoch: number; coverage: number; finalDistance: number }[];
  /** The latest evaluation (none before the first). */
  evaluation?: SkillsEvaluationView;
  /** A point maze's layout, drawn behind the trajectories. */
  layout?: string[];
}

export interface SkillsEvaluationView {
  epoch: number;
  coverage: number;
  finalDistance: number;
  maxDistance: number;
  finalCells: number;
  skills: number[][];
  trajectories: number[][][];
  phi: number[][];
}

/** What the host knows about a run besides its events. */
export interface SkillsRunInfo {
  runId: string;
  runDir: string;
  experiment: string;
  algo: string;
  skills: { dim: number; discrete: boolean };
  status: SkillsRunView['status'];
  epochs: number;
  message?: string;
  layout?: string[];
}

/** Folds a run's events (a resumed run repeats some: the last per epoch wins). */
export function skillsRunView(info: SkillsRunInfo, events: readonly RunEvent[]): SkillsRunView {
  const byEpoch = new Map<number, SkillsRunView['coverage'][number]>();
  let evaluation: SkillsEvaluationView | undefined;
  let epochsDone = 0;
  let epochs = info.epochs;
  for (const e of events) {
    if (e.type === 'rl-epoch') {
      epochsDone = e.epoch;
      epochs = e.epochs;
    } else if (e.type === 'skills-eval') {
      byEpoch.set(e.epoch, { epoch: e.epoch, coverage: e.coverage, finalDistance: e.finalDistance });
      const { type: _, ...rest } = e;
      evaluation = rest;
    }
  }
  return {
    runId: info.runId,
    runDir: info.runDir,
    experiment: info.experiment,
    algo: info.algo,
    label: `${info.algo} · ${info.skills.discrete ? `${info.skills.dim} skills` : `${info.skills.dim}-D skills`}`,
    status: info.status,
    epochs,
    epochsDone,
    message: info.message,
    coverage: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch),
    evaluation,
    layout: info.layout,
  };
}

/**
 * A colour per skill, as the METRA paper draws them: the hue of a 2-D skill's direction
 * (lightness from its length, for Gaussian skills), a categorical hue per discrete skill, and
 * for higher dimensions the hue of the first two coordinates.
 */
export function skillColor(z: readonly number[], discrete: boolean): string {
  if (discrete) {
    const k = Math.max(0, z.indexOf(Math.max(...z)));
    return `hsl(${Math.round((k * 137.508) % 360)}, 70%, 55%)`;
  }
  const angle = Math.atan2(z[1] ?? 0, z[0] ?? 0);
  const hue = Math.round(((angle * 180) / Math.PI + 360) % 360);
  const length = Math.hypot(z[0] ?? 0, z[1] ?? 0);
  const light = Math.round(35 + 30 * Math.min(1, length / 2));
  return `hsl(${hue}, 75%, ${light}%)`;
}

/** Distinct labels for runs shown together (the run id's tail when labels repeat). */
export function runLabels(runs: readonly { label: string; runId: string }[]): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  return runs.map((r) => ((counts.get(r.label) ?? 0) > 1 ? `${r.label} · ${r.runId.slice(-4)}` : r.label));
}
