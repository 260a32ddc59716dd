import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { OfflineGcrlExperiment, SkillsExperiment } from '../../core/experiment/types';
import type { RunEvent } from '../../core/train/events';
import type { GcrlRolloutView, GcrlRunView } from '../../panels/gcrl/viewModel';
import { gcrlRunView, valuesForGoal } from '../../panels/gcrl/viewModel';
import { skillsRunView, type SkillsRunView } from '../../panels/skills/viewModel';
import { GCRL_FILES } from '../../runner/gcrlRunFiles';
import { readRunConfig } from '../../runner/runConfig';
import { readEvents, readRunRecord, type RunRecord } from '../../runner/runStore';
import type { RunManager } from '../runs/runManager';

/** What both RL panels load for a run folder: its record, resolved experiment and events (live when running here). */
async function loadRun<E>(runDir: string, runs: RunManager): Promise<{ record: RunRecord; experiment: E; events: readonly RunEvent[]; live: boolean } | undefined> {
  const record = await readRunRecord(runDir);
  const config = await readRunConfig(runDir).catch(() => undefined);
  if (!record || !config) return undefined;
  const live = runs.get(runDir);
  const events = live ? live.events : await readEvents(runDir);
  return { record, experiment: config.experiment as E, events, live: live !== undefined };
}

export async function loadSkillsRun(runDir: string, runs: RunManager): Promise<SkillsRunView | undefined> {
  const r = await loadRun<SkillsExperiment>(runDir, runs);
  if (!r || r.experiment.kind !== 'skills') return undefined;
  const exp = r.experiment;
  return skillsRunView(
    {
      runId: r.record.runId,
      runDir: path.resolve(runDir),
      experiment: r.record.experiment,
      algo: exp.algo,
      skills: { dim: exp.skills?.dim ?? 2, discrete: exp.skills?.discrete ?? false },
      status: r.live ? 'running' : r.record.status,
      epochs: exp.budget?.epochs ?? r.record.epochs,
      message: r.record.message,
      layout: exp.env.type === 'pointmaze' ? exp.env.layout : undefined,
    },
    r.events,
  );
}

export async function loadGcrlRun(runDir: string, runs: RunManager): Promise<{ view: GcrlRunView; layout: string[] } | undefined> {
  const r = await loadRun<OfflineGcrlExperiment>(runDir, runs);
  if (!r || r.experiment.kind !== 'offline-gcrl') return undefined;
  const exp = r.experiment;
  const rollouts = r.live ? undefined : await readJson<{ rollouts?: GcrlRolloutView[] }>(path.join(runDir, GCRL_FILES.rollouts));
  const hasValue = !r.live && (await fs.stat(path.join(runDir, GCRL_FILES.value)).then(() => true, () => false));
  const view = gcrlRunView(
    {
      runId: r.record.runId,
      runDir: path.resolve(runDir),
      experiment: r.record.experiment,
      algo: exp.algo,
      status: r.live ? 'running' : r.record.status,
      epochs: exp.training?.epochs ?? r.record.epochs,
      message: r.record.message,
      rollouts: rollouts?.rollouts,
      hasValue,
    },
    r.events,
  );
  return { view, layout: exp.env.layout };
}

/** V(., goal) from a finished run's value grid (written by the run: no network runs in the host). */
export async function valueFor(runDir: string, goal: [number, number]): Promise<{ cells: [number, number][]; values: number[] } | undefined> {
  const grid = await readJson<{ cells?: [number, number][]; goals?: [number, number][]; values?: number[][] }>(path.join(runDir, GCRL_FILES.value));
  if (!grid?.cells || !grid.goals || !grid.values) return undefined;
  const values = valuesForGoal({ cells: grid.cells, goals: grid.goals, values: grid.values }, goal);
  return values && { cells: grid.cells, values };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
