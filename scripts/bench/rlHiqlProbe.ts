/**
 * HIQL's two levels measured apart (scripts/bench/rlHiqlLevels.ts) on the offline study's data
 * and settings, with `--k` and `--set` overrides, after every `--every` updates on the maze's far
 * tasks: each algorithm's success, the learned low level with oracle subgoals, the high level's
 * proposals (and, first, the best case of them: `idealHigh`), and greedy action on the value.
 * For finding what limits HIQL (docs/rl.md). With `--updates 0` only the best case is printed.
 * `--split validation` measures all of it on the maze's validation tasks (`validationTasks`: far
 * pairs apart from the file's tasks), where the study's settings are chosen; `test` (default) on
 * the file's far tasks:
 *
 *   node --import tsx scripts/bench/rlHiqlProbe.ts [--maze FILE] [--seed S] [--k K] [--split test|validation]
 *     [--updates N] [--every N] [--algos hiql,gcivl] [--oracle 1,5,25] [--set '{...}']
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { makeEnv } from '../../src/core/rl/env/envs';
import { parseMazeFile, taskLength } from '../../src/core/rl/env/maze';
import { evaluateAlgo, evaluationRng } from '../../src/core/rl/gcrl/evaluate';
import { generateDataset } from '../../src/core/rl/gcrl/generate';
import type { GcAlgo } from '../../src/core/rl/gcrl/settings';
import { OfflineTrainer } from '../../src/core/rl/gcrl/trainer';
import { initBackend } from '../../src/core/tensor/backend';
import { createRng } from '../../src/core/util/random';
import { hiqlLevels, idealHigh } from './rlHiqlLevels';
import { FAR_STEPS, offlineArm, validationTasks } from './rlStudies';

const { values } = parseArgs({
  options: {
    maze: { type: 'string', default: path.join(__dirname, '../../examples/rl/mazes/corridors.json') },
    seed: { type: 'string', default: '0' },
    k: { type: 'string' },
    updates: { type: 'string', default: '8000' },
    every: { type: 'string', default: '2000' },
    algos: { type: 'string', default: 'hiql' },
    oracle: { type: 'string', default: '1,5,25' },
    set: { type: 'string', default: '{}' },
    split: { type: 'string', default: 'test' },
  },
});

async function main(): Promise<void> {
  await initBackend('wasm');
  const seed = Number(values.seed);
  const { maze, tasks } = parseMazeFile(JSON.parse(readFileSync(values.maze!, 'utf8')));
  const test = tasks.filter((t) => taskLength(maze, t) >= FAR_STEPS);
  if (values.split !== 'test' && values.split !== 'validation') throw new Error(`--split must be test or validation, got ${values.split}`);
  const far = values.split === 'test' ? test : validationTasks(maze, tasks);
  const { settings, data } = offlineArm(values.algos!.split(',') as GcAlgo[], far, maze.layout, seed, false);
  const every = Number(values.every);
  Object.assign(settings, JSON.parse(values.set!), { epochs: Math.ceil(Number(values.updates) / every), stepsPerEpoch: every });
  if (values.k) settings.sampling = { ...settings.sampling, k: Number(values.k) };
  const env = makeEnv(settings.env);
  const dataset = generateDataset(env, settings.env, data, createRng((seed * 31 + 7) >>> 0));
  const t = new OfflineTrainer(settings, dataset);
  const c0 = process.cpuUsage();
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const ideal = idealHigh(maze, dataset, far, settings.sampling.k, settings.temperature, settings.sampling.discount);
  process.stdout.write(`${values.split} split, k ${settings.sampling.k}, high-level steps ${settings.highSteps}, far tasks ${far.map((x) => taskLength(maze, x)).join(', ')} moves; ` +
    `ideal high level (true value, exact AWR mean): ${pct(ideal.wall)} in walls, ${pct(ideal.closer)} closer\n`);
  if (settings.epochs === 0) return t.dispose();
  await t.session.run(t.stages((epoch) => {
    const e = settings.evaluation;
    const parts = settings.algos.map((a) => `${a} ${pct(evaluateAlgo(t, a, e, evaluationRng(seed, epoch)).successRate)}`);
    parts.push(hiqlLevels(t, e, () => evaluationRng(seed, epoch), values.oracle!.split(',').map(Number)));
    const c = process.cpuUsage(c0);
    process.stdout.write(`${epoch * every} updates: ${parts.join('; ')}; ${((c.user + c.system) / 1e6).toFixed(0)} s CPU, load ${loadavg()[0].toFixed(1)}\n`);
  }));
  t.dispose();
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
