import type { SkillsEvaluation } from './skills/coverage';

/** Success on one start-goal task of an evaluation. */
export interface TaskResult {
  start: [number, number];
  goal: [number, number];
  /** Shortest path in grid moves. */
  shortestPath: number;
  successRate: number;
}

/**
 * Events of the RL kinds in a run's `events.jsonl` (besides `progress`): what the panels draw.
 * `epoch` counts completed epochs (from 1). A resumed run repeats the events after its last
 * checkpoint; readers keep the last event per epoch.
 */
export type RlEvent =
  /** Means of an epoch's update metrics (losses, alpha, lambda, ...). */
  | { type: 'rl-epoch'; kind: 'skills' | 'offline-gcrl'; epoch: number; epochs: number; metrics: Record<string, number> }
  /** An evaluation of the skills: coverage, distances, one trajectory per evaluated skill. */
  | ({ type: 'skills-eval' } & SkillsEvaluation)
  /** An evaluation of an offline goal-conditioned policy: success per task. */
  | { type: 'gcrl-eval'; epoch: number; algo: string; successRate: number; tasks: TaskResult[] };
