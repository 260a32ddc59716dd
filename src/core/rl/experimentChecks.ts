import type { OfflineGcrlExperiment, SkillsExperiment } from '../experiment/types';
import { checkTasks, MazeError, parseMaze, type Maze } from './env/maze';

/** A problem in an RL experiment: the JSON pointer of the field and what is wrong. */
export interface RlProblem {
  pointer: string;
  message: string;
}

/**
 * What the schema cannot say about `skills` and `offline-gcrl` experiments: the maze layout
 * (rectangular, only `#` and `.`, connected), start and goal cells on free cells, validation
 * tasks apart from the evaluation tasks, goal probabilities that sum to 1, METRA's discrete
 * skills needing two or more.
 */
export function rlProblems(exp: SkillsExperiment | OfflineGcrlExperiment): RlProblem[] {
  const out: RlProblem[] = [];
  let maze: Maze | undefined;
  if ('layout' in exp.env) {
    try {
      maze = parseMaze(exp.env.layout);
    } catch (e) {
      if (!(e instanceof MazeError)) throw e;
      out.push({ pointer: `/env/layout${e.at.length ? `/${e.at[0]}` : ''}`, message: e.message });
    }
  }
  if (exp.kind === 'skills') {
    if (maze && exp.env.type === 'pointmaze' && exp.env.start) out.push(...cellProblems(maze, [{ start: exp.env.start, goal: exp.env.start }], '/env', true));
    if (exp.algo !== 'diayn' && exp.skills?.discrete && (exp.skills.dim ?? 2) < 2) {
      out.push({ pointer: '/skills/dim', message: `${exp.algo === 'lsd' ? 'LSD' : 'METRA'} with discrete skills needs at least 2 skills` });
    }
    return out;
  }
  if (maze) out.push(...cellProblems(maze, exp.evaluation.tasks, '/evaluation/tasks', false));
  const validation = exp.evaluation.validationTasks ?? [];
  if (maze) out.push(...cellProblems(maze, validation, '/evaluation/validationTasks', false));
  const same = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];
  validation.forEach((v, i) => {
    const j = exp.evaluation.tasks.findIndex((t) => same(t.start, v.start) && same(t.goal, v.goal));
    if (j >= 0) out.push({ pointer: `/evaluation/validationTasks/${i}`, message: `validation task ${i} is evaluation task ${j}: selecting the policies on the tasks they are scored on would report a chosen number; use tasks apart from evaluation.tasks` });
  });
  const g = exp.goals;
  if (g) {
    const sum = (g.current ?? 0.2) + (g.trajectory ?? 0.5) + (g.random ?? 0.3);
    if (Math.abs(sum - 1) > 1e-6) out.push({ pointer: '/goals', message: `goal probabilities current + trajectory + random must sum to 1, got ${+sum.toFixed(6)}` });
  }
  return out;
}

function cellProblems(maze: Maze, tasks: { start: [number, number]; goal: [number, number] }[], base: string, startOnly: boolean): RlProblem[] {
  const out: RlProblem[] = [];
  tasks.forEach((t, i) => {
    try {
      checkTasks(maze, [t]);
    } catch (e) {
      if (!(e instanceof MazeError)) throw e;
      const field = e.at[1] as string;
      out.push(startOnly
        ? { pointer: `${base}/start`, message: e.message.replace(/^task 0: start/, 'start') }
        : { pointer: `${base}/${i}/${field}`, message: e.message.replace(/^task 0/, `task ${i}`) });
    }
  });
  return out;
}
