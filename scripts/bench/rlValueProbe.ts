/**
 * The offline study's value function alone, measured cheaply: trains V(s, g) (no policies) on
 * the study's dataset and prints, every `--every` updates, how well V orders neighbouring cells
 * toward every goal (`valueOrdering`: all pairs, pairs within 25 moves of the goal, the rest)
 * and the CPU seconds so far. For choosing the value's settings before a full study:
 *
 *   node --import tsx scripts/bench/rlValueProbe.ts [--maze FILE] [--updates N] [--every N]
 *     [--seed S] [--set '{"encoding":"cells","tau":0.005}']
 *
 * `--set` overrides fields of the study's settings (scripts/bench/rlStudies.ts `offlineArm`).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { makeEnv } from '../../src/core/rl/env/envs';
import { parseMazeFile } from '../../src/core/rl/env/maze';
import { valueOrdering } from '../../src/core/rl/gcrl/evaluate';
import { generateDataset } from '../../src/core/rl/gcrl/generate';
import { OfflineTrainer } from '../../src/core/rl/gcrl/trainer';
import { initBackend } from '../../src/core/tensor/backend';
import { createRng } from '../../src/core/util/random';
import { offlineArm } from './rlStudies';

const { values } = parseArgs({
  options: {
    maze: { type: 'string', default: path.join(__dirname, '../../examples/rl/mazes/corridors.json') },
    updates: { type: 'string', default: '3000' },
    every: { type: 'string', default: '500' },
    seed: { type: 'string', default: '0' },
    set: { type: 'string', default: '{}' },
  },
});

async function main(): Promise<void> {
  await initBackend('wasm');
  const seed = Number(values.seed);
  const { maze, tasks } = parseMazeFile(JSON.parse(readFileSync(values.maze!, 'utf8')));
  const { settings, data } = offlineArm([], tasks, maze.layout, seed, false);
  const every = Number(values.every);
  Object.assign(settings, JSON.parse(values.set!), { epochs: Math.ceil(Number(values.updates) / every), stepsPerEpoch: every });
  const env = makeEnv(settings.env);
  const dataset = generateDataset(env, settings.env, data, createRng((seed * 31 + 7) >>> 0));
  const t = new OfflineTrainer(settings, dataset);
  const c0 = process.cpuUsage();
  await t.session.run(t.stages((epoch, m) => {
    const o = valueOrdering(t);
    const c = process.cpuUsage(c0);
    const pct = (x: number) => (100 * x).toFixed(1);
    process.stdout.write(`${epoch * every} updates: ordering ${pct(o.all)}% (near ${pct(o.near)}%, far ${pct(o.far)}%), v ${m.v.toFixed(2)}, loss ${m.valueLoss.toFixed(3)}; ` +
      `${((c.user + c.system) / 1e6).toFixed(0)} s CPU, load ${loadavg()[0].toFixed(1)}\n`);
  }));
  t.dispose();
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
