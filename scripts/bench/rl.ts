/**
 * The RL lab's two studies, each arm in its own process (arms run side by side, as many at a
 * time as the machine has cores):
 *
 *   npm run bench:rl -- [--study skills|offline] [--seed S] [--maze FILE] [--epochs N] [--jobs N] [--levels] [--json]
 *     [--algos hiql,gcivl] [--set '{"sampling":{"k":3}}']
 *
 * 1. skills: METRA vs DIAYN (discrete skills, continuous skills), and LSD, in the official 2-D
 *    point environment, the same SAC and budget; 48 skills evaluated deterministically: distinct unit
 *    cells their trajectories cover, mean final distance from the start vs the largest reachable.
 *    Targets: METRA >= 2.5x the cells of the better DIAYN, final distance >= 70% of the maximum.
 * 2. offline: HIQL vs flat GCIVL vs GCBC in a grid maze (default: examples/rl/mazes/corridors.json)
 *    from one noisy-expert dataset, one value function trained once in one process with the three
 *    policies riding along on it (evaluated after every epoch on stderr, with the value's ordering
 *    of neighbouring cells and, with `--levels`, HIQL's levels measured apart:
 *    scripts/bench/rlHiqlLevels.ts). Success rate over the far tasks (shortest path >= 40 moves).
 *    Targets: HIQL >= flat + 15 points and >= 50%.
 *
 * Choosing settings (docs/rl.md, round 10): `--maze examples/rl/mazes/dev/dev-N.json` runs the study on
 * a dev maze (scripts/bench/rlDevMaze.ts; never the test mazes), `--algos` trains a subset of the
 * three on the one value (the value and each policy train identically whichever ride along), and
 * `--set` puts candidate settings over the study's (`withOverrides`).
 *
 * `--json` prints one document on stdout:
 *   {"skills":{"metra":{coverage,finalDistance,maxDistance},"diayn":{...},"diaynDiscrete":{...},
 *    "diaynContinuous":{...},"lsd":{...}},"offline":{"hiql":{successRate},"gcivl":{...},"gcbc":{...}}}
 * (`diayn` is the better of the two variants by coverage). The offline study's `successRate` is
 * its last policies' (checkpoint selection on the validation split was tried in round 8 and not
 * adopted); what selection would report is beside it, `selected: {successRate, epoch}`, with the
 * `curve` of success after each evaluation. Timings (wall and CPU seconds per arm) and load
 * averages go to stderr. Budgets and settings: docs/rl.md.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { makeEnv } from '../../src/core/rl/env/envs';
import { parseMazeFile, taskLength } from '../../src/core/rl/env/maze';
import { evaluateAlgo, evaluationRng, valueOrdering } from '../../src/core/rl/gcrl/evaluate';
import { generateDataset } from '../../src/core/rl/gcrl/generate';
import { GC_ALGOS, type GcAlgo } from '../../src/core/rl/gcrl/settings';
import { OfflineTrainer } from '../../src/core/rl/gcrl/trainer';
import { SkillsTrainer } from '../../src/core/rl/skills/trainer';
import { initBackend } from '../../src/core/tensor/backend';
import { denseProductEngine } from '../../src/core/tensor/wasm/nativeGemm';
import { createRng } from '../../src/core/util/random';
import { hiqlLevels } from './rlHiqlLevels';
import { FAR_STEPS, offlineArm, skillsArm, validationTasks, withOverrides } from './rlStudies';

const DEFAULT_MAZE = path.join(__dirname, '../../examples/rl/mazes/corridors.json');

const { values } = parseArgs({
  options: {
    study: { type: 'string' },
    seed: { type: 'string', default: '0' },
    maze: { type: 'string' },
    json: { type: 'boolean', default: false },
    /** Arms run at a time (default: the machine's cores). */
    jobs: { type: 'string' },
    /** Internal: run one arm in this process and send its result to the parent. */
    arm: { type: 'string' },
    /** After every epoch of the offline study, also HIQL's levels measured apart (scripts/bench/rlHiqlLevels.ts). */
    levels: { type: 'boolean', default: false },
    /** Shorter budgets, to check the script itself (not for results). */
    quick: { type: 'boolean', default: false },
    /** The offline study's budget in epochs of 1,000 updates (default `OFFLINE_STUDY.epochs`): budget candidates, docs/rl.md. */
    epochs: { type: 'string' },
    /** The offline study's algorithms (default all three; a subset trains the same value and policies, cheaper). */
    algos: { type: 'string', default: 'hiql,gcivl,gcbc' },
    /** Candidate settings over the offline study's, as JSON (`withOverrides`). */
    set: { type: 'string', default: '{}' },
  },
});
const seed = Number(values.seed);
const JOBS = values.jobs ? Number(values.jobs) : availableParallelism();
if (!Number.isInteger(JOBS) || JOBS < 1) throw new Error(`--jobs must be a positive integer, got ${values.jobs}`);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
const ALGOS = values.algos!.split(',') as GcAlgo[];
for (const a of ALGOS) if (!GC_ALGOS.includes(a)) throw new Error(`--algos: ${a} is not one of ${GC_ALGOS.join(', ')}`);
const OVERRIDES = JSON.parse(values.set!) as Record<string, unknown>;

interface ArmResult {
  arm: string;
  wallSeconds: number;
  cpuSeconds: number;
  result: Record<string, { coverage?: number; finalDistance?: number; maxDistance?: number; successRate?: number; tasks?: number[]; selected?: { successRate: number; tasks: number[]; epoch?: number }; curve?: number[] }>;
}

async function runArm(arm: string): Promise<ArmResult> {
  const backend = await initBackend('wasm');
  if (backend.name !== 'wasm') throw new Error('the benchmark needs the wasm backend');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out: ArmResult['result'] = {};
  if (arm.startsWith('skills:')) {
    const name = arm.slice(7);
    const t = new SkillsTrainer(skillsArm(name, seed, values.quick!));
    await t.session.run(t.stages());
    const ev = t.history[t.history.length - 1];
    out[name] = { coverage: ev.coverage, finalDistance: round(ev.finalDistance), maxDistance: round(ev.maxDistance) };
    t.dispose();
  } else {
    const algos = arm.slice(8).split(',') as GcAlgo[];
    const { maze, tasks, far } = loadMaze();
    const study = offlineArm(algos, far, maze.layout, seed, values.quick!, validationTasks(maze, tasks));
    const { data } = study;
    const settings = withOverrides(study.settings, OVERRIDES);
    if (epochs !== undefined) settings.epochs = epochs;
    log(`${arm} settings over the study's: ${JSON.stringify(OVERRIDES)} (k ${settings.sampling.k}, high-level random goals ${settings.sampling.highRandom}, high-level steps ${settings.highSteps})`);
    const env = makeEnv(settings.env);
    const dataset = generateDataset(env, settings.env, data, createRng((seed * 31 + 7) >>> 0));
    const t = new OfflineTrainer(settings, dataset);
    // Success on the maze's far tasks after every evaluated epoch (the last entry: the final evaluation's, the last policies).
    const curves: Record<string, number[]> = Object.fromEntries(algos.map((a) => [a, []]));
    await t.session.run(t.stages((epoch, metrics) => {
      const c = process.cpuUsage(c0);
      const validation = algos.map((a) => `${a} ${metrics[`${a}Validation`]}`).join(', ');
      const tested = epoch % settings.evaluation.everyEpochs === 0 && epoch < settings.epochs;
      if (tested) for (const a of algos) curves[a].push(round(evaluateAlgo(t, a, settings.evaluation, evaluationRng(seed, epoch)).successRate));
      const curve = tested
        ? ' test ' + algos.map((a) => `${a} ${curves[a][curves[a].length - 1]}`).join(', ') + `; validation ${validation}; ${ordering(t)}${levels(t, epoch)}`
        : ` validation ${validation}`;
      log(`${arm} epoch ${epoch}/${settings.epochs}: ${round((c.user + c.system) / 1e6)} s CPU, ${round((performance.now() - t0) / 1000)} s wall (load ${loadavg()[0].toFixed(2)})${curve}`);
    }));
    for (const a of algos) {
      // The last policies (the study's number), and for comparison those selected on the validation split; the same episodes' generator.
      const last = evaluateAlgo(t, a, settings.evaluation, evaluationRng(seed, settings.epochs));
      const selected = await t.withSelected(a, () => evaluateAlgo(t, a, settings.evaluation, evaluationRng(seed, settings.epochs)));
      out[a] = {
        successRate: round(last.successRate), tasks: last.tasks.map((x) => round(x.successRate)),
        selected: { successRate: round(selected.successRate), tasks: selected.tasks.map((x) => round(x.successRate)), epoch: t.selectedEpoch(a)?.epoch },
        curve: [...curves[a], round(last.successRate)],
      };
    }
    log(`${arm} final ${ordering(t)}${levels(t, settings.epochs)}; dense product ${denseProductEngine()}`);
    t.dispose();
  }
  const c = process.cpuUsage(c0);
  return { arm, wallSeconds: round((performance.now() - t0) / 1000), cpuSeconds: round((c.user + c.system) / 1e6), result: out };
}

/** The value's ordering of neighbouring cells toward every goal (`valueOrdering`), for the log. */
function ordering(t: OfflineTrainer): string {
  const o = valueOrdering(t);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return `value orders neighbours ${pct(o.all)} (within 25 moves ${pct(o.near)}, farther ${pct(o.far)})`;
}

/** With `--levels`, HIQL's levels measured apart, for the log (the evaluation's own generators: training is unchanged). */
function levels(t: OfflineTrainer, epoch: number): string {
  return values.levels ? `; ${hiqlLevels(t, t.settings.evaluation, () => evaluationRng(seed, epoch))}` : '';
}

function loadMaze() {
  const file = values.maze ? path.resolve(values.maze) : DEFAULT_MAZE;
  const { maze, tasks } = parseMazeFile(JSON.parse(readFileSync(file, 'utf8')));
  const far = tasks.filter((t) => taskLength(maze, t) >= FAR_STEPS);
  if (far.length === 0) throw new Error(`${file}: no task needs ${FAR_STEPS} or more moves; the offline study is about far tasks`);
  return { file, maze, tasks, far };
}

/** Runs the arms in child processes, `availableParallelism()` at a time. */
async function runArms(arms: string[]): Promise<ArmResult[]> {
  const results: ArmResult[] = [];
  const queue = [...arms];
  const worker = async (): Promise<void> => {
    for (let arm = queue.shift(); arm !== undefined; arm = queue.shift()) {
      const started = loadavg()[0];
      log(`started ${arm} (load average ${started.toFixed(2)})`);
      const r = await new Promise<ArmResult>((resolve, reject) => {
        const child = fork(__filename, [...process.argv.slice(2).filter((a) => a !== '--json'), '--arm', arm], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        child.once('message', (m) => resolve(m as ArmResult));
        child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`arm ${arm} exited with code ${code}`))));
      });
      log(`finished ${arm}: ${JSON.stringify(r.result)} in ${r.wallSeconds} s wall, ${r.cpuSeconds} s CPU (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS, arms.length) }, worker));
  return results;
}

function log(line: string): void {
  process.stderr.write(`[bench:rl] ${line}\n`);
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

async function main(): Promise<void> {
  if (values.arm) {
    const r = await runArm(values.arm);
    // Forked by `runArms`; run by hand (`--arm skills:lsd`), it prints its result.
    if (process.send) process.send(r);
    else process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const studies = values.study ? [values.study] : ['skills', 'offline'];
  for (const s of studies) if (s !== 'skills' && s !== 'offline') throw new Error(`--study must be skills or offline, got ${s}`);
  const arms: string[] = [];
  if (studies.includes('skills')) arms.push('skills:metra', 'skills:diaynDiscrete', 'skills:diaynContinuous', 'skills:lsd');
  if (studies.includes('offline')) {
    const { file, maze, far } = loadMaze();
    log(`maze ${file}: ${maze.rows}x${maze.cols}, far tasks ${far.map((t) => taskLength(maze, t)).join(', ')} moves`);
    // One process trains the one value function once; the three policies ride along on it.
    arms.push(`offline:${ALGOS.join(',')}`);
  }
  log(`seed ${seed}, ${JOBS} arms at a time, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const t0 = performance.now();
  const results = await runArms(arms);
  const all = Object.assign({}, ...results.map((r) => r.result)) as ArmResult['result'];
  const doc: Record<string, unknown> = {};
  if (studies.includes('skills')) {
    const [d, c] = [all.diaynDiscrete, all.diaynContinuous];
    const diayn = (d.coverage ?? 0) >= (c.coverage ?? 0) ? d : c;
    doc.skills = { metra: all.metra, diayn, diaynDiscrete: d, diaynContinuous: c, lsd: all.lsd };
    const ratio = all.metra.coverage! / diayn.coverage!;
    const reach = all.metra.finalDistance! / all.metra.maxDistance!;
    log(`skills: METRA ${all.metra.coverage} cells vs DIAYN ${diayn.coverage} (${ratio.toFixed(2)}x, target >= 2.5x: ${ratio >= 2.5 ? 'met' : 'NOT met'}); ` +
      `final distance ${(reach * 100).toFixed(1)}% of the largest reachable (target >= 70%: ${reach >= 0.7 ? 'met' : 'NOT met'})`);
  }
  if (studies.includes('offline')) {
    doc.offline = Object.fromEntries(ALGOS.map((a) => [a, { successRate: all[a].successRate, selected: { successRate: all[a].selected!.successRate, epoch: all[a].selected!.epoch }, curve: all[a].curve }]));
    const [h, f] = [all.hiql?.successRate ?? NaN, all.gcivl?.successRate ?? NaN];
    if (ALGOS.length === 3) log(`offline (far tasks): HIQL ${(h * 100).toFixed(1)}% [${all.hiql.tasks}], flat ${(f * 100).toFixed(1)}% [${all.gcivl.tasks}], GCBC ${(all.gcbc.successRate! * 100).toFixed(1)}% [${all.gcbc.tasks}]; ` +
      `HIQL - flat ${((h - f) * 100).toFixed(1)} points (target >= 15: ${h - f >= 0.15 ? 'met' : 'NOT met'}), HIQL >= 50%: ${h >= 0.5 ? 'met' : 'NOT met'} ` +
      `(the last policies; selected on the validation split, not adopted: HIQL ${(all.hiql.selected!.successRate * 100).toFixed(1)}% [${all.hiql.selected!.tasks}], ` +
      `flat ${(all.gcivl.selected!.successRate * 100).toFixed(1)}%, GCBC ${(all.gcbc.selected!.successRate * 100).toFixed(1)}%, at epochs ${ALGOS.map((a) => `${a} ${all[a].selected!.epoch}`).join(', ')})`);
    // For choosing on dev mazes (docs/rl.md, round 10): the mean success over the last three evaluations.
    const late = (a: GcAlgo) => mean(all[a].curve!.slice(-3));
    log(`offline, mean of the last three evaluations: ${ALGOS.map((a) => `${a} ${(late(a) * 100).toFixed(1)}%`).join(', ')}` +
      (all.hiql && all.gcivl ? `; HIQL - GCIVL ${((late('hiql') - late('gcivl')) * 100).toFixed(1)} points` : ''));
  }
  const cpu = results.reduce((s, r) => s + r.cpuSeconds, 0);
  log(`total ${round((performance.now() - t0) / 1000)} s wall, ${round(cpu)} s CPU over all arms; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (values.json) process.stdout.write(JSON.stringify(doc) + '\n');
  else process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench:rl: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
