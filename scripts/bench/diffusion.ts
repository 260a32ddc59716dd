/**
 * The diffusion lab's studies (issue 16), side by side in one run:
 *   node --import tsx scripts/bench/diffusion.ts [--study policy|generation|maze] [--seed S] [--json]
 *
 * policy: the four-corner toy (Diffusion-QL's 2-D bandit) with the settings of
 *   `examples/diffusion/four-corners-*.experiment.json`: diffusion BC against a Gaussian policy
 *   (share of 1,000 samples within 0.2 of a data mode, per-mode shares) and Diffusion-QL against
 *   TD3+BC (share on the best-reward mode, expected reward of the sampled actions), and QL-MLE (a
 *   Gaussian policy with the same Q term: what the official toy's figure labels "TD3+BC").
 * td3bc-alpha (not part of the default run): TD3+BC on the toy at several alphas (`--alphas 0.1,1,2.5`,
 *   default 0.1,0.25,0.5,1,2.5): where its one deterministic action settles between the mean of the
 *   data (alpha -> 0, plain BC) and the best-reward mode (the paper's alpha 2.5).
 * maze (not part of the default run): the RL lab's noisy-expert maze data (`examples/diffusion/maze-*`),
 *   diffusion BC, Gaussian, TD3+BC and Diffusion-QL: mode shares against the data's own, and the
 *   share of rollouts from every free cell that reach the goal.
 * generation: the Frido miniature of `examples/diffusion/fashion-frido-mini.experiment.json`
 *   (Fashion-MNIST from Debian's dataset-fashion-mnist): coarse-to-fine against single-scale at equal
 *   training steps and network calls; a Frechet distance in our classifier's features (not FID)
 *   and class consistency on 2,000 samples, with the sampling knobs (guidance weight, coarse-to-fine's
 *   split of the calls) chosen per schedule on a validation split by a stated rule
 *   (`src/core/diffusion/generation/validation.ts`), and class consistency stage by stage.
 *   `--min-snr G` trains with Min-SNR-gamma loss weights, `--coarse-shift S` shifts the log SNR of
 *   coarse-to-fine's coarse-stage schedule, `--joint-shift S` that of single-scale's joint chain,
 *   `--coarse-rows R` puts that share of each batch on the coarse stage (defaults: the example's):
 *   run the study with and without one and compare the validation numbers (never the reported ones);
 *   `--schedule coarse-to-fine|single-scale` trains only that schedule (coarse-to-fine alone gives
 *   the two-schedule run's numbers: it trains first, from the same state; single-scale alone does not).
 *
 * `--seed S` changes the training seed and the toy's data draw. The baselines are the references in
 * the same run; each arm reports CPU seconds, wall seconds and the load average (the machine is
 * shared), none of which the quality numbers depend on. `--json` prints one document on stdout.
 */
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { generationConfigFrom, loadGenerationData, loadPolicyDataset, policyArmName, policyConfigFrom } from '../../src/core/diffusion/fromExperiment';
import { GenerationTrainer } from '../../src/core/diffusion/generation/generationTrainer';
import { SCALE_SCHEDULES, type ScaleSchedule } from '../../src/core/diffusion/generation/twoScale';
import { isMazeDataset, mazeRollouts } from '../../src/core/diffusion/policy/mazeDataset';
import { modeMetrics } from '../../src/core/diffusion/policy/metrics';
import { PolicyTrainer } from '../../src/core/diffusion/policy/policyTrainer';
import { loadExperimentFile } from '../../src/core/experiment/load';
import type { DiffusionExperiment, DiffusionPolicyExperiment } from '../../src/core/experiment/types';
import { initBackend } from '../../src/core/tensor/backend';
import { createRng } from '../../src/core/util/random';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const study = flag('--study');
const STUDIES = ['policy', 'generation', 'maze', 'td3bc-alpha'];
if (study !== undefined && !STUDIES.includes(study)) throw new Error(`--study ${STUDIES.join('|')}, got ${study}`);
const seed = Number(flag('--seed') ?? 0);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed takes a non-negative integer, got ${flag('--seed')}`);
/** `--quick`: a hundredth of the steps and fewer samples, to check the script runs (its numbers mean nothing). */
const quick = args.includes('--quick');
const EXAMPLES = path.join(__dirname, '..', '..', 'examples', 'diffusion');
const SAMPLES = quick ? 100 : 1000;
/** Not the training seeds: the measurement's own noise. */
const EVAL_SEED = 0x5eed;

const log = (line: string): void => {
  (json ? process.stderr : process.stdout).write(`${line}\n`);
};

function meter(): () => { cpu: number; wall: number; load: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return { cpu: round((c.user + c.system) / 1e6, 1), wall: round((performance.now() - t0) / 1000, 1), load: round(loadavg()[0], 1) };
  };
}

function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

async function policyArm(file: string, eta?: number) {
  const exp = (await loadExperimentFile(path.join(EXAMPLES, file))).experiment as DiffusionPolicyExperiment;
  const withSeed: DiffusionPolicyExperiment = {
    ...exp,
    ...(eta === undefined ? {} : { eta }),
    dataset: 'file' in exp.dataset ? exp.dataset : { ...exp.dataset, seed },
    training: { ...exp.training, seed, ...(quick ? { steps: Math.ceil((exp.training?.steps ?? 10000) / 100), warmupSteps: exp.training?.warmupSteps ? 10 : 0 } : {}) },
  };
  const cfg = policyConfigFrom(withSeed);
  const trainer = new PolicyTrainer(cfg, await loadPolicyDataset(withSeed));
  const done = meter();
  try {
    await trainer.session.run(trainer.stages());
    const e = trainer.evaluate(SAMPLES, EVAL_SEED + seed);
    const cost = done();
    const arm = policyArmName(cfg.policy, cfg.objective);
    const rollout = e.rollout ? `  goal reached ${pct(e.rollout.success)} of ${e.rollout.episodes} rollouts (mean ${e.rollout.steps.toFixed(1)} moves)` : '';
    log(
      `${arm.padEnd(13)} on a mode ${pct(e.onMode).padStart(6)}  shares ${e.modeShares.map(pct).join(' / ')}  best-reward mode ${pct(e.bestModeShare)}` +
        `  expected reward ${e.expectedReward.toFixed(2)}${rollout}  (${cfg.steps} steps, ${cost.cpu} CPU s, ${cost.wall} s wall, load ${cost.load})`,
    );
    const measured = { onMode: round(e.onMode), modeShares: e.modeShares.map((x) => round(x)), bestModeShare: round(e.bestModeShare), expectedReward: round(e.expectedReward) };
    const action = cfg.policy === 'deterministic' ? Array.from(e.samples.subarray(0, 2), (x) => round(x, 3)) : undefined;
    return { arm, action, e: { ...measured, ...(e.rollout ? { success: round(e.rollout.success), rolloutSteps: round(e.rollout.steps, 2) } : {}) }, cost };
  } finally {
    trainer.dispose();
  }
}

async function policyStudy() {
  log(`policy study: four-corner toy, seed ${seed}, ${SAMPLES} samples per arm; modes top-left / bottom-left / top-right / bottom-right (rewards 3 / 0 / 1.5 / 5)`);
  const bc = await policyArm('four-corners-diffusion-bc.experiment.json');
  const gaussian = await policyArm('four-corners-gaussian.experiment.json');
  const ql = await policyArm('four-corners-diffusion-ql.experiment.json');
  const td3bc = await policyArm('four-corners-td3bc.experiment.json');
  // What the "TD3+BC" panel of Diffusion-QL's toy figure actually trains (official run_toy_ql.py: QL_MLE).
  const qlMle = await policyArm('four-corners-ql-mle.experiment.json');
  const every = bc.e.modeShares.every((s) => s >= 0.15 && s <= 0.35);
  log(`targets: diffusion BC >= 90% on a mode ${bc.e.onMode >= 0.9 ? 'met' : 'MISSED'}, every mode 15-35% ${every ? 'met' : 'MISSED'}; Gaussian <= 20% ${gaussian.e.onMode <= 0.2 ? 'met' : 'MISSED'}; ` +
    `Diffusion-QL >= 60% on the best mode ${ql.e.bestModeShare >= 0.6 ? 'met' : 'MISSED'}; TD3+BC < 50% there ${td3bc.e.bestModeShare < 0.5 ? 'met' : 'MISSED'}`);
  return {
    'diffusion-bc': { onMode: bc.e.onMode, modeShares: bc.e.modeShares, cost: bc.cost },
    gaussian: { onMode: gaussian.e.onMode, modeShares: gaussian.e.modeShares, cost: gaussian.cost },
    'diffusion-ql': { bestModeShare: ql.e.bestModeShare, expectedReward: ql.e.expectedReward, onMode: ql.e.onMode, modeShares: ql.e.modeShares, cost: ql.cost },
    td3bc: { bestModeShare: td3bc.e.bestModeShare, expectedReward: td3bc.e.expectedReward, onMode: td3bc.e.onMode, cost: td3bc.cost },
    'ql-mle': { bestModeShare: qlMle.e.bestModeShare, expectedReward: qlMle.e.expectedReward, onMode: qlMle.e.onMode, modeShares: qlMle.e.modeShares, cost: qlMle.cost },
  };
}

/**
 * The maze study: state-conditioned data from the RL lab's noisy-expert generator (a point moving
 * towards random waypoints, so one state has actions in several directions), goal-reaching reward.
 * The data's own actions measured like the samples are the reference for the mode shares.
 */
async function mazeStudy() {
  const files = ['maze-diffusion-bc', 'maze-gaussian', 'maze-td3bc', 'maze-diffusion-ql'];
  const first = (await loadExperimentFile(path.join(EXAMPLES, `${files[0]}.experiment.json`))).experiment as DiffusionPolicyExperiment;
  const data = await loadPolicyDataset({ ...first, dataset: { ...first.dataset, seed } as DiffusionPolicyExperiment['dataset'] });
  const ref = modeMetrics(data.actions, data.actionDim, data.modes, data.modeRadius);
  log(`maze study: ${data.size} transitions, seed ${seed}; the data's own actions: on a mode ${pct(ref.onMode)} (shares ${ref.modeShares.map(pct).join(' / ')})`);
  // Policies that know nothing, for scale: uniform random actions, and the best of eight constant headings.
  if (!isMazeDataset(data)) throw new Error('the maze examples must use a maze dataset');
  const rng = createRng(EVAL_SEED + seed);
  const random = mazeRollouts(data, (s) => Float32Array.from(s, () => 2 * rng.next() - 1)).success;
  const headings = [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]];
  const constant = Math.max(...headings.map((h) => mazeRollouts(data, (s) => Float32Array.from(s, (_, i) => h[i % 2])).success));
  log(`  goal reached by uniform random actions ${pct(random)}, by the best constant heading ${pct(constant)} (rollouts from every free cell, ${data.maze.horizon} moves)`);
  const out: Record<string, unknown> = {
    data: { transitions: data.size, onMode: round(ref.onMode), modeShares: ref.modeShares.map((x) => round(x)) },
    random: { success: round(random) }, constantHeading: { success: round(constant) },
  };
  for (const f of files) {
    const r = await policyArm(`${f}.experiment.json`);
    out[r.arm] = { ...r.e, cost: r.cost };
  }
  return out;
}

/**
 * TD3+BC's alpha on the one-state toy. Its actor is one point a minimising -alpha Q1(a) / |Q1(a)| +
 * mean (a - a_i)^2: the BC term alone pulls it to the mean of the four modes, (0, 0), where there is
 * no data; the Q term pulls it towards higher Q. Where does it stop sitting on the best mode?
 */
async function td3bcAlphaStudy() {
  const alphas = (flag('--alphas') ?? '0.1,0.25,0.5,1,2.5').split(',').map(Number);
  if (alphas.some((a) => !(a >= 0))) throw new Error(`--alphas takes non-negative numbers, got ${flag('--alphas')}`);
  log(`TD3+BC alpha sweep: four-corner toy, seed ${seed}, ${SAMPLES} samples (one deterministic action); best-reward mode bottom-right (0.8, -0.8)`);
  const out: Record<string, unknown> = {};
  for (const alpha of alphas) {
    const r = await policyArm('four-corners-td3bc.experiment.json', alpha);
    log(`  alpha ${alpha}: action (${r.action?.join(', ')}), best-reward mode ${pct(r.e.bestModeShare)} (target < 50%: ${r.e.bestModeShare < 0.5 ? 'met' : 'missed'})`);
    out[String(alpha)] = { action: r.action, bestModeShare: r.e.bestModeShare, onMode: r.e.onMode, expectedReward: r.e.expectedReward, cost: r.cost };
  }
  return out;
}

async function generationStudy() {
  const exp = (await loadExperimentFile(path.join(EXAMPLES, 'fashion-frido-mini.experiment.json'))).experiment as DiffusionExperiment;
  // Training knobs to compare on the validation numbers (never the reported ones); default: the example's.
  const knobs: Record<string, number> = {};
  for (const [name, key, ok, what] of [
    ['--min-snr', 'minSnr', (v: number) => v >= 0, 'gamma >= 0 (0: off)'],
    ['--coarse-shift', 'coarseShift', (v: number) => Math.abs(v) <= 10, 'a log SNR shift in [-10, 10]'],
    ['--joint-shift', 'jointShift', (v: number) => Math.abs(v) <= 10, 'a log SNR shift in [-10, 10]'],
    ['--coarse-rows', 'coarseRows', (v: number) => v > 0 && v < 1, 'a share in (0, 1)'],
  ] as const) {
    const v = flag(name);
    if (v === undefined) continue;
    if (!ok(Number(v))) throw new Error(`${name} takes ${what}, got ${v}`);
    knobs[key] = Number(v);
  }
  const schedule = flag('--schedule');
  if (schedule !== undefined && !(SCALE_SCHEDULES as readonly string[]).includes(schedule)) throw new Error(`--schedule ${SCALE_SCHEDULES.join('|')}, got ${schedule}`);
  const full = generationConfigFrom({
    ...exp, training: { ...exp.training, seed }, diffusion: { ...exp.diffusion, ...knobs },
    ...(schedule !== undefined ? { schedule: schedule as ScaleSchedule } : {}),
  });
  const cfg = quick
    ? {
        ...full, classifier: { ...full.classifier, steps: 10 }, autoencoder: { ...full.autoencoder, steps: 10 }, diffusion: { ...full.diffusion, steps: 10 },
        evaluation: { ...full.evaluation, samples: 100, every: 5, curveSamples: 50 }, validation: { ...full.validation, samples: 40 },
      }
    : full;
  const { train, dev } = await loadGenerationData(quick && 'format' in exp.data ? { ...exp, data: { ...exp.data, limit: 1200, devSize: 200 } } : exp);
  log(`generation study: ${train.count} training images, ${dev.count} held out; ${cfg.diffusion.steps} steps per schedule, ${cfg.diffusion.calls} network calls per sample, ${cfg.evaluation.samples} samples; ` +
    `sampling knobs chosen on ${cfg.validation.samples} validation samples per candidate (guidance ${cfg.validation.guidance.join(', ')}; coarse share ${cfg.validation.coarseShare.join(', ')}); coarse-to-fine's coarse stage: log SNR shift ${round(cfg.diffusion.coarseShift)}, ${pct(cfg.diffusion.coarseRows)} of each batch; single-scale's joint chain: log SNR shift ${round(cfg.diffusion.jointShift)}; seed ${seed}`);
  const trainer = new GenerationTrainer(cfg, train, dev);
  const costs: Record<string, { cpu: number; wall: number; load: number }> = {};
  let stageMeter = meter();
  try {
    await trainer.session.run(trainer.stages((arm, step, m) => log(`  ${arm} step ${step}: distance ${m.distance.toFixed(2)}, class consistency ${pct(m.classConsistency)} (${m.samples} samples)`)), {
      onStep: (r) => {
        if (r.stageEnd) {
          costs[r.stage] = stageMeter();
          log(`  ${r.stage} done: ${JSON.stringify(Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, round(v)])))} (${costs[r.stage].cpu} CPU s, ${costs[r.stage].wall} s wall, load ${costs[r.stage].load})`);
          stageMeter = meter();
        }
      },
    });
    // Per schedule: the sampling knobs chosen on the validation split by the rule fixed in
    // validation.ts (never on the reported samples), then the reported measurement with them,
    // then where class consistency is lost (stage by stage, on the validation split).
    const out: Record<string, unknown> = {};
    for (const arm of cfg.schedules) {
      const m = meter();
      const selection = trainer.select(arm, (p) =>
        log(`  ${arm} validation w=${p.guidance}${arm === 'coarse-to-fine' ? ` coarse share ${p.coarseShare}` : ''}: distance ${p.distance.toFixed(2)}, class consistency ${pct(p.classConsistency)}`));
      const sampling = trainer.samplingOf(arm);
      const selectCost = m();
      const r = trainer.evaluate(arm, cfg.evaluation.samples, 0xf1a1 + seed);
      const sampleCost = m();
      const diagnosis = trainer.diagnose(arm, cfg.validation.samples, 0xd1a9 + seed);
      log(`${arm.padEnd(15)} distance ${r.distance.toFixed(2)}  at 7x7 ${r.distance7.toFixed(2)}  class consistency ${pct(r.classConsistency)}  (${r.samples} samples; w=${sampling.guidance}` +
        `${arm === 'coarse-to-fine' ? `, coarse share ${sampling.coarseShare}` : ''}, chosen on ${selection?.samples ?? 0} validation samples per candidate)`);
      log(`  ${arm} stages (validation split, ${diagnosis.samples} samples): coarse decode ${pct(diagnosis.coarseDecode)}, full decode ${pct(diagnosis.fullDecode)}` +
        `${diagnosis.fineGivenRealCoarse !== undefined ? `, fine stage given real coarse latents ${pct(diagnosis.fineGivenRealCoarse)}` : ''}; real images through the autoencoder: coarse ${pct(diagnosis.realCoarseDecode)}, full ${pct(diagnosis.realFullDecode)}`);
      out[arm] = {
        distance: round(r.distance), distance7: round(r.distance7), classConsistency: round(r.classConsistency), samples: r.samples,
        sampling, validation: selection, diagnosis, cost: { train: costs[arm], select: selectCost, sample: { cpu: round(sampleCost.cpu - selectCost.cpu, 1), wall: round(sampleCost.wall - selectCost.wall, 1), load: sampleCost.load } },
      };
    }
    return { minSnr: cfg.diffusion.minSnr, coarseShift: cfg.diffusion.coarseShift, jointShift: cfg.diffusion.jointShift, coarseRows: cfg.diffusion.coarseRows, ...out };
  } finally {
    trainer.dispose();
  }
}

async function main(): Promise<void> {
  const backend = await initBackend('wasm');
  log(`backend ${backend.name}; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const doc: Record<string, unknown> = { seed };
  if (study === undefined || study === 'policy') doc.policy = await policyStudy();
  if (study === 'maze') doc.maze = await mazeStudy();
  if (study === 'td3bc-alpha') doc.td3bcAlpha = await td3bcAlphaStudy();
  if (study === undefined || study === 'generation') doc.generation = await generationStudy();
  if (json) process.stdout.write(`${JSON.stringify(doc)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
