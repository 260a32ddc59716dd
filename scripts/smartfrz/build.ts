/**
 * SmartFRZ offline pipeline, step 2 (`npm run smartfrz:build`): from the pairs recorded by
 * `npm run smartfrz:generate`, regenerates `models/smartfrz/predictor.json` (the shipped
 * predictor, with its calibration) and `models/smartfrz/dataset.json` (recipe, per-pair CKA
 * labels and scores). Seeded end to end.
 *
 *   npm run smartfrz:build -- [--cache DIR] [--fit-epochs E] [--fit-windows N] [--tolerance-pairs N] [--epochs-scale S] [--out DIR]
 *   npm run smartfrz:build -- --fit-only cka|drift --out DIR   # one predictor at its window threshold, for diagnosis (oracle.ts --predictor)
 *
 * 1. Labels for every recorded pair (labels.ts), two ways: from linear CKA to the final model (the
 *    labels of every predictor up to round 9) and from the drift signal (round 10: `driftLabels`).
 * 2. Fit one attention predictor per label kind on the FIT pairs only (a seeded sample of at most
 *    N of their windows, so the fit's cost does not grow with the pair count).
 * 3. Calibrate on the CALIBRATION pairs (generated, never fitted on):
 *    - window threshold: the P(freeze) with the best balanced accuracy on their windows (a 0.05
 *      grid): the predictor's scores as a classifier (recorded; since round 9 not a decision candidate: it never won a calibration);
 *    - maxDirectedness: the 95th percentile of the directedness of their windows labelled
 *      freeze (the convergence guard lets 95% of freezable windows through);
 *    - threshold, minLayerSimilarity, minConvSimilarity and stableReadings (the per-layer convergence signal, read
 *      every `PROBE_EVERY` steps) together: real
 *      SmartFRZ trainings of the N cheapest calibration pairs (by recorded training time) with
 *      every candidate decision next to `none`, on two seeds each, plus every CNN calibration pair
 *      (`tolerancePairs`), since round 12 for `CALIBRATION_EPOCHS_SCALE` (2) times their recorded
 *      epochs, the accuracy guard off; among the decisions saving at least
 *      `MIN_MEAN_SAVED` of backward FLOPs, the one that saves the most while the mean accuracy
 *      loss stays within `MEAN_LOSS_TARGET` points and at most `MAX_PAIRS_BEYOND` pair loses more
 *      than `PAIR_LOSS_BOUND` points (`chooseDecision`; the safest when none does). Which
 *      predictor (label kind) ships is part of the decision. Accuracies are on each generated pair's
 *      own held-out split (generated data, 800 examples).
 * No benchmark data (digits, Fashion-MNIST) is read here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createNonePolicy } from '../../src/core/freezing/none';
import { DEFAULT_PREDICTOR_CONFIG, type AttentionPredictor, type PredictorCalibration } from '../../src/core/freezing/smartfrz/predictor';
import { DEFAULT_PROBE_EVERY, SmartFrzPolicy } from '../../src/core/freezing/smartfrz/policy';
import { savePredictor } from '../../src/core/freezing/smartfrz/predictorFile';
import { initBackend } from '../../src/core/tensor/backend';
import { createRng, shuffledIndices } from '../../src/core/util/random';
import { type CachedRun, DEFAULT_CACHE, RECORD, readCache } from './generate';
import { DEFAULT_LABELS, DRIFT_LABELS, driftLabels, freezeLabels } from './labels';
import { outputSimilarityBound } from './outputBound';
import { generatedStudyPair, trainWith } from './trainPair';
import { type Example, fitPredictor, probabilities, score } from './trainPredictor';

const ROOT = path.resolve(__dirname, '..', '..');
/**
 * Candidate decisions tried in real trainings of calibration pairs (round 9's grid, declared in
 * docs/smartfrz.md before any calibration or bench run with it): the per-layer signal read every
 * `PROBE_EVERY` steps (fixed, not calibrated), its least probe CKA between consecutive readings
 * for dense layers (`minLayerSimilarity`) and for conv layers (`minConvSimilarity`: one bound
 * for both either froze conv layers that still learned or held back the dense freezes), the
 * consecutive readings it must hold (`stableReadings`), and the predictor's threshold, 0.8 (the
 * one best on windows, 0.3-0.4, never won a calibration and was dropped in round 9; so was conv
 * 0.9998, with three or more pairs beyond 0.5 in every round-8 row). Conv values are listed highest first: the rule's sort is stable, so a
 * tie goes to the higher conv bound. Chosen: the combination that saves the most backward FLOPs
 * within the loss targets below.
 */
const SIMILARITIES = [0.999];
const CONV_SIMILARITIES = [0.9999];
const THRESHOLDS = [0.8];
/**
 * Round 9's drift grid (declared in docs/smartfrz.md and committed before the build): beside the
 * shipped CKA decision above (threshold 0.8, dense 0.999, conv 0.9999; the status quo), the drift
 * signal (`maxDriftRatio`, replacing both CKA bounds) at these ratios and spans. The same rule
 * picks among all five; the drift signal ships only if it picks a drift decision.
 */
const DRIFT_RATIOS = [4];
const DRIFT_SPANS = [4];
/**
 * Round 10's grid (declared in docs/smartfrz.md and committed before the recording, the build
 * and the bench): the status quo (the CKA-labelled predictor, refitted, at threshold 0.8 with
 * drift 4 over 4 readings, conv layers on the same span) and the drift-labelled predictor at
 * thresholds 0.8 and 0.5 x conv drift spans (optimizer steps; undefined: the dense span), drift 4/4.
 */
/**
 * Round 10b's grid (declared in docs/smartfrz.md and committed before its build and bench): the
 * round-10 thresholds (0.8, 0.5) sat on the CKA predictor's scale, where the drift-labelled
 * predictor hardly speaks. Its thresholds now come from its calibration windows alone: its
 * window threshold (best balanced accuracy on the 0.05 grid, `chooseThreshold`) and one grid
 * step either side (round 10's build: 0.1, so 0.15, 0.1, 0.05). Conv spans as round 10.
 */
export const DRIFT_THRESHOLD_OFFSETS = [0.05, 0, -0.05];
/** The drift-labelled predictor's thresholds: its window threshold plus `DRIFT_THRESHOLD_OFFSETS`, kept inside (0, 1). */
export function driftLabelThresholds(windowThreshold: number): number[] {
  return [...new Set(DRIFT_THRESHOLD_OFFSETS.map((d) => +(windowThreshold + d).toFixed(2)).filter((t) => t > 0 && t < 1))];
}
const CONV_DRIFT_STEPS: Array<number | undefined> = [400, undefined];
/**
 * Round 11's grid (declared in docs/smartfrz.md and committed before its build and bench): the
 * output guard (`minOutputSimilarity`) at the bound the calibration pairs' recordings give
 * (`outputSimilarityBound`), on the status quo and on every round-10b drift decision; the
 * unguarded status quo stays (the unguarded drift decisions lost 4.44 points on g039 in round
 * 10b, which is what the guard is for).
 */
const OUTPUT_GUARD = true;
/**
 * Round 12 (declared in docs/smartfrz.md and committed before its build and bench): the tolerance
 * trainings run each calibration pair for this many times its recorded epochs (same data, batch,
 * learning rate and seeds). The recorded pairs end at 235-1,370 steps, where no unit can freeze
 * before step 250 under drift 4/4: every decision had little to freeze, the savings column (and
 * the 5% clause) turned on a handful of runs, and the losses SmartFRZ takes on longer runs were
 * never in the calibration. `--epochs-scale 1` is the calibration of rounds 8-11.
 */
export const CALIBRATION_EPOCHS_SCALE = 2;
/** A calibration pair's epochs in the tolerance trainings: its own times `scale`, at least one. */
export function calibrationEpochs(epochs: number, scale: number): number {
  if (!(scale > 0)) throw new Error(`the epochs scale must be positive, got ${scale}`);
  return Math.max(1, Math.round(epochs * scale));
}
/**
 * Round 12's drift decisions: the drift-labelled predictor at its window threshold alone (round
 * 11's build: 0.15 and 0.1 froze the same layers at the same epochs on every pair, guarded or
 * not; 0.05 had the larger worst loss in both rounds), guarded, with and without the conv span.
 */
const DRIFT_AT_WINDOW_THRESHOLD_ONLY = true;
/** The label kinds a predictor is fitted on: CKA to the final model (up to round 9) and the drift signal (round 10). */
export type LabelKind = 'cka' | 'drift';
/**
 * Trainings per calibration pair and decision (round 9): the pair's seed, then seed + 1000 (new
 * initial weights and batch order, same data), as the bench's `--seeds`. A pair's loss is the mean
 * over its seeds of (none - decision) on that seed: one CNN pair moved up to 1.4 points between
 * two builds, the size of the bound itself.
 */
const CALIBRATION_SEEDS = 2;
const STABLE_READINGS = [1];
const PROBE_EVERY = DEFAULT_PROBE_EVERY;
const MEAN_LOSS_TARGET = 0.25;
/** The issue's per-pair bound (points below `none`)... */
const PAIR_LOSS_BOUND = 0.5;
/**
 * ... which at most this many calibration pairs may exceed (risk-controlled: with 12 pairs, the
 * empirical 11/12 quantile of the per-pair loss within the bound). Requiring all of them is
 * infeasible (one pair loses 3 points under every decision) and fell back to the most cautious.
 */
const MAX_PAIRS_BEYOND = 1;
/**
 * Minimum-savings clause (round 10): a decision must save at least this share of the tolerance
 * pairs' backward FLOPs (mean over pairs) to take part, unless none does. Round 9's rule let a
 * decision that froze almost nothing (drift 4/4: 2.9%, beside 0-0.5% for the other drift ones)
 * win by freezing almost nothing; the issue asks for 30% saved.
 */
export const MIN_MEAN_SAVED = 0.05;

/**
 * The decision with the most mean backward FLOPs saved among those whose mean loss is within
 * `MEAN_LOSS_TARGET` and with at most `MAX_PAIRS_BEYOND` pairs losing more than
 * `PAIR_LOSS_BOUND` (ties: the status quo's CKA-labelled predictor first, then the higher
 * threshold, the higher similarity, more stable readings, the CKA bounds before the drift
 * signal, the lower ratio, the longer span, the longer conv span: the safer). Declared before
 * the bench ran; the bench's pairs never change it. When none qualifies, the safest: the fewest
 * pairs beyond the bound, then the smallest worst loss, then mean loss, then the most saved.
 * Since round 10 only decisions saving at least `MIN_MEAN_SAVED` take part, unless none does
 * (the minimum-savings clause: freezing nothing is not a way to win).
 */
export function chooseDecision<T extends { labels?: LabelKind; threshold: number; minLayerSimilarity: number; stableReadings?: number; maxDriftRatio?: number; driftSpan?: number; convDriftSteps?: number; meanLoss: number; worstLoss: number; pairsBeyond: number; meanSaved: number }>(rows: T[]): T | undefined {
  const newer = (r: T) => (r.labels === 'drift' ? 1 : 0);
  const safer = (a: T, b: T) => newer(a) - newer(b) || b.threshold - a.threshold || b.minLayerSimilarity - a.minLayerSimilarity || (b.stableReadings ?? 1) - (a.stableReadings ?? 1) || (a.maxDriftRatio ?? 0) - (b.maxDriftRatio ?? 0) || (b.driftSpan ?? 1e9) - (a.driftSpan ?? 1e9) || (b.convDriftSteps ?? 0) - (a.convDriftSteps ?? 0);
  const savers = rows.filter((r) => r.meanSaved >= MIN_MEAN_SAVED);
  const pool = savers.length > 0 ? savers : rows;
  const within = pool.filter((r) => r.meanLoss <= MEAN_LOSS_TARGET && r.pairsBeyond <= MAX_PAIRS_BEYOND);
  if (within.length > 0) return [...within].sort((a, b) => b.meanSaved - a.meanSaved || safer(a, b))[0];
  return [...pool].sort((a, b) => a.pairsBeyond - b.pairsBeyond || a.worstLoss - b.worstLoss || a.meanLoss - b.meanLoss || b.meanSaved - a.meanSaved || safer(a, b))[0];
}

/**
 * The calibration pairs trained with every candidate decision: the `cheapest` cheapest by recorded
 * training time, plus every CNN calibration pair beyond them (round 8's 12 cheapest held one CNN,
 * so its decision was never tested on conv layers). Cost order.
 */
export function tolerancePairs<T extends { id: string; family: string; seconds: number }>(calRuns: T[], cheapest: number): T[] {
  const byCost = [...calRuns].sort((a, b) => a.seconds - b.seconds || a.id.localeCompare(b.id));
  const chosen = new Set(byCost.slice(0, cheapest));
  return byCost.filter((r) => chosen.has(r) || r.family === 'cnn');
}

function runLabels(run: CachedRun, kind: LabelKind): Array<Array<boolean | null>> {
  return kind === 'drift'
    ? driftLabels(run.units.map((u) => u.back), run.checkpoints, run.totalSteps, DRIFT_LABELS)
    : freezeLabels(run.units.map((u) => u.cka), run.checkpoints, run.totalSteps, DEFAULT_LABELS);
}

interface LabelledWindow extends Example { directedness: number }

function examplesOf(run: CachedRun, kind: LabelKind): LabelledWindow[] {
  const out: LabelledWindow[] = [];
  runLabels(run, kind).forEach((row, u) => row.forEach((label, c) => {
    if (label === null) return;
    run.units[u].features[c].forEach((features, k) => out.push({
      features, label, run: run.id, unit: run.units[u].name, step: run.checkpoints[c], directedness: run.units[u].directedness[c][k],
    }));
  }));
  return out;
}

/** Per candidate unit, the first checkpoint step labelled freeze (null: never). */
function labelSteps(run: CachedRun, kind: LabelKind): Array<number | null> {
  return runLabels(run, kind).map((row) => {
    const c = row.indexOf(true);
    return c < 0 ? null : run.checkpoints[c];
  });
}

/** A calibration pair's loss in points: the mean over its seeds of `none` minus the decision, seed by seed (paired). */
export function seedMeanLoss(none: number[], decision: number[]): number {
  if (none.length !== decision.length || none.length === 0) throw new Error(`one accuracy per seed on both sides (${none.length} vs ${decision.length})`);
  return mean(decision.map((a, k) => (none[k] - a) * 100));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/** The threshold on a 0.05 grid with the best balanced accuracy on the calibration windows. */
function chooseThreshold(ex: Example[], probs: number[]): { threshold: number; grid: Array<{ t: number; precision: number; recall: number; balancedAccuracy: number }> } {
  const grid = [];
  for (let t = 0.05; t < 0.991; t += 0.05) {
    const s = score(ex, probs, t);
    grid.push({ t: +t.toFixed(2), precision: +s.precision.toFixed(4), recall: +s.recall.toFixed(4), balancedAccuracy: +s.balancedAccuracy.toFixed(4) });
  }
  const best = grid.filter((g) => Number.isFinite(g.balancedAccuracy)).reduce((a, b) => (b.balancedAccuracy > a.balancedAccuracy ? b : a));
  return { threshold: best.t, grid };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cache: { type: 'string', default: DEFAULT_CACHE },
      out: { type: 'string', default: path.join(ROOT, 'models', 'smartfrz') },
      'fit-epochs': { type: 'string', default: '40' },
      'fit-windows': { type: 'string', default: '6000' },
      'tolerance-pairs': { type: 'string', default: '12' },
      'fit-only': { type: 'string' },
      'epochs-scale': { type: 'string', default: String(CALIBRATION_EPOCHS_SCALE) },
    },
  });
  const t0 = Date.now();
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const backend = await initBackend();
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const runs = readCache(path.resolve(values.cache!));
  const fitRuns = runs.filter((r) => r.role === 'fit');
  const calRuns = runs.filter((r) => r.role === 'calibrate');
  if (fitRuns.length === 0 || calRuns.length === 0) throw new Error(`need recorded fit and calibration pairs in ${values.cache} (run npm run smartfrz:generate first)`);
  log(`SmartFRZ build on backend ${backend.name}: ${fitRuns.length} fit pairs, ${calRuns.length} calibration pairs`);
  const fit = { epochs: Number(values['fit-epochs']), batchSize: 64, learningRate: 2e-3, seed: 17 };
  /** One predictor per label kind: fitted on the fit pairs' windows, its window threshold and convergence guard from the calibration windows. */
  const fitted = new Map<LabelKind, { predictor: AttentionPredictor; fitEx: LabelledWindow[]; calEx: LabelledWindow[]; calProbs: number[]; allFit: number; windowThreshold: number; grid: ReturnType<typeof chooseThreshold>['grid']; maxDirectedness: number; guardRejects: number; fitCpu: number }>();
  const fitOnly = values['fit-only'] as LabelKind | undefined;
  if (fitOnly !== undefined && fitOnly !== 'cka' && fitOnly !== 'drift') throw new Error(`--fit-only takes cka or drift, got ${fitOnly}`);
  for (const kind of fitOnly !== undefined ? [fitOnly] : (['cka', 'drift'] as const)) {
    const allFitEx = fitRuns.flatMap((r) => examplesOf(r, kind));
    const order = shuffledIndices(allFitEx.length, createRng(23));
    const fitEx = Array.from(order.subarray(0, Math.min(allFitEx.length, Number(values['fit-windows']))), (i) => allFitEx[i]);
    const calEx = calRuns.flatMap((r) => examplesOf(r, kind));
    log(`${kind} labels: windows fit ${fitEx.length} of ${allFitEx.length} (${fitEx.filter((e) => e.label).length} labelled freeze), calibration ${calEx.length} (${calEx.filter((e) => e.label).length} freeze)`);
    const c1 = cpu();
    const predictor: AttentionPredictor = await fitPredictor(fitEx, DEFAULT_PREDICTOR_CONFIG, { ...fit, log });
    const fitCpu = cpu() - c1;
    // Window threshold and convergence guard from the calibration windows.
    const calProbs = await probabilities(predictor, calEx);
    const { threshold: windowThreshold, grid } = chooseThreshold(calEx, calProbs);
    const freezeDir = calEx.filter((e) => e.label).map((e) => e.directedness);
    const maxDirectedness = +quantile(freezeDir, 0.95).toFixed(3);
    const notFreeze = calEx.filter((e) => !e.label);
    const guardRejects = notFreeze.filter((e) => e.directedness > maxDirectedness).length / Math.max(1, notFreeze.length);
    log(`${kind} labels: window threshold ${windowThreshold} (best balanced accuracy); maxDirectedness ${maxDirectedness} rejects ${(guardRejects * 100).toFixed(1)}% of not-freezable calibration windows`);
    fitted.set(kind, { predictor, fitEx, calEx, calProbs, allFit: allFitEx.length, windowThreshold, grid, maxDirectedness, guardRejects, fitCpu });
  }

  if (fitOnly !== undefined) {
    // Diagnosis only (`--fit-only cka|drift`): that predictor as the build fits it, at its own
    // window threshold with drift 4/4, without the calibration trainings; never shipped.
    const f = fitted.get(fitOnly)!;
    f.predictor.calibration = { threshold: f.windowThreshold, minLayerSimilarity: SIMILARITIES[0], minConvSimilarity: CONV_SIMILARITIES[0], stableReadings: 1, probeEvery: PROBE_EVERY, maxDirectedness: f.maxDirectedness, maxDriftRatio: DRIFT_RATIOS[0], driftSpan: DRIFT_SPANS[0] };
    await savePredictor(f.predictor, path.join(path.resolve(values.out!), 'predictor.json'), { labelKind: fitOnly, diagnosisOnly: true });
    log(`wrote the ${fitOnly}-labelled predictor (diagnosis only) to ${values.out}`);
    return;
  }

  // The decision (predictor, threshold, per-layer signal) from real trainings of calibration
  // pairs (the model-level accuracy guard off: the per-layer signal replaces it).
  const tolPairs = tolerancePairs(calRuns, Number(values['tolerance-pairs']));
  const outputBound = outputSimilarityBound(calRuns);
  log(`output guard bound ${outputBound.bound} from the calibration recordings (balanced accuracy ${outputBound.balancedAccuracy.toFixed(3)}: passes ${(outputBound.passesConverged * 100).toFixed(1)}% of ${outputBound.converged} converged, holds ${(outputBound.holdsFar * 100).toFixed(1)}% of ${outputBound.far} far)`);
  type Decision = { labels: LabelKind; threshold: number; minLayerSimilarity: number; minConvSimilarity: number; stableReadings: number; maxDriftRatio?: number; driftSpan?: number; convDriftSteps?: number; minOutputSimilarity?: number };
  const cka: Decision[] = THRESHOLDS.flatMap((t) => SIMILARITIES.flatMap((minLayerSimilarity) => CONV_SIMILARITIES.flatMap((minConvSimilarity) => STABLE_READINGS.map((stableReadings) => ({ labels: 'cka' as const, threshold: t, minLayerSimilarity, minConvSimilarity, stableReadings })))));
  const statusQuo: Decision[] = cka.flatMap((c) => DRIFT_SPANS.flatMap((driftSpan) => DRIFT_RATIOS.map((maxDriftRatio) => ({ ...c, maxDriftRatio, driftSpan }))));
  const guard = OUTPUT_GUARD ? { minOutputSimilarity: outputBound.bound } : {};
  const driftWindow = fitted.get('drift')!.windowThreshold;
  const driftThresholds = DRIFT_AT_WINDOW_THRESHOLD_ONLY ? [driftWindow] : driftLabelThresholds(driftWindow);
  const epochsScale = Number(values['epochs-scale']);
  calibrationEpochs(1, epochsScale);
  const configs: Decision[] = [
    ...statusQuo,
    ...(OUTPUT_GUARD ? statusQuo.map((c) => ({ ...c, ...guard })) : []),
    ...statusQuo.flatMap((c) => driftThresholds.flatMap((threshold) => CONV_DRIFT_STEPS.map((convDriftSteps) => ({ ...c, labels: 'drift' as const, threshold, ...(convDriftSteps === undefined ? {} : { convDriftSteps }), ...guard })))),
  ];
  const describe = (r: Decision) => `${r.labels} t ${r.threshold} ${r.maxDriftRatio !== undefined ? `drift ${r.maxDriftRatio}/${r.driftSpan}${r.convDriftSteps !== undefined ? ` conv ${r.convDriftSteps} steps` : ''}` : `cka ${r.minLayerSimilarity}/${r.minConvSimilarity}`}x${r.stableReadings}${r.minOutputSimilarity !== undefined ? ` output ${r.minOutputSimilarity}` : ''}`;
  type DecisionRun = Decision & { accuracy: number[]; saved: number[]; freezes: string[][] };
  const tolRows: Array<{ pair: string; none: number[]; runs: DecisionRun[] }> = [];
  const c2 = cpu();
  for (const run of tolPairs) {
    const base = generatedStudyPair(run.id);
    const data = await base.load();
    const row = { pair: run.id, none: [] as number[], runs: configs.map((c) => ({ ...c, accuracy: [] as number[], saved: [] as number[], freezes: [] as string[][] })) };
    // Without a conv layer the conv settings cannot act: one training per remaining decision.
    const hasConv = base.layers.some((l) => l.type === 'conv2d');
    for (let k = 0; k < CALIBRATION_SEEDS; k++) {
      const pair = { ...base, epochs: calibrationEpochs(base.epochs, epochsScale), seed: base.seed + 1000 * k };
      row.none.push((await trainWith(pair, data, createNonePolicy())).accuracy);
      const trained = new Map<string, Awaited<ReturnType<typeof trainWith>>>();
      for (const [i, c] of configs.entries()) {
        const key = `${c.labels} ${c.threshold} ${c.maxDriftRatio !== undefined ? `drift ${c.maxDriftRatio}/${c.driftSpan} ${hasConv ? c.convDriftSteps ?? '-' : '-'}` : `${c.minLayerSimilarity} ${hasConv ? c.minConvSimilarity : '-'}`} ${c.stableReadings} ${c.minOutputSimilarity ?? '-'}`;
        let r = trained.get(key);
        if (r === undefined) {
          const f = fitted.get(c.labels)!;
          r = await trainWith(pair, data, new SmartFrzPolicy({ predictor: f.predictor, threshold: c.threshold, maxDirectedness: f.maxDirectedness, minLayerSimilarity: c.minLayerSimilarity, minConvSimilarity: c.minConvSimilarity, stableReadings: c.stableReadings, maxDriftRatio: c.maxDriftRatio, driftSpan: c.driftSpan, convDriftSteps: c.convDriftSteps, minOutputSimilarity: c.minOutputSimilarity, probeEvery: PROBE_EVERY, accuracyTolerance: 100 }));
          trained.set(key, r);
        }
        row.runs[i].accuracy.push(r.accuracy);
        row.runs[i].saved.push(r.backwardSaved);
        row.runs[i].freezes.push(r.freezes);
      }
    }
    log(`  ${run.id}: none ${row.none.map((a) => a.toFixed(4)).join('/')}; ${row.runs.map((r) => `${describe(r)}: ${r.accuracy.map((a, k) => ((a - row.none[k]) * 100).toFixed(2)).join('/')} pts, ${(mean(r.saved) * 100).toFixed(0)}% [${r.freezes.map((f) => f.join(' ')).join(' | ')}]`).join('; ')}`);
    tolRows.push(row);
  }
  const perConfig = configs.map((c, i) => {
    const losses = tolRows.map((r) => seedMeanLoss(r.none, r.runs[i].accuracy));
    return {
      ...c,
      meanLoss: +(losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length)).toFixed(3),
      worstLoss: +Math.max(...losses).toFixed(3),
      pairsBeyond: losses.filter((l) => +l.toFixed(3) > PAIR_LOSS_BOUND).length,
      meanSaved: +(tolRows.reduce((a, r) => a + mean(r.runs[i].saved), 0) / Math.max(1, tolRows.length)).toFixed(4),
    };
  });
  const chosen = chooseDecision(perConfig)!;
  const threshold = chosen.threshold;
  const { minLayerSimilarity, minConvSimilarity, stableReadings, maxDriftRatio, driftSpan, convDriftSteps, minOutputSimilarity } = chosen;
  const tolCpu = cpu() - c2;
  const shipped = fitted.get(chosen.labels)!;
  const { predictor, fitEx, calEx, calProbs, windowThreshold, grid, maxDirectedness, guardRejects } = shipped;
  log(`chosen: ${describe(chosen)}: ${JSON.stringify(perConfig)}`);
  const calibration: PredictorCalibration = { threshold, minLayerSimilarity, minConvSimilarity, stableReadings, probeEvery: PROBE_EVERY, maxDirectedness, ...(maxDriftRatio !== undefined ? { maxDriftRatio, driftSpan } : {}), ...(convDriftSteps !== undefined ? { convDriftSteps } : {}), ...(minOutputSimilarity !== undefined ? { minOutputSimilarity } : {}) };
  predictor.calibration = calibration;

  /** Window scores of each label kind's predictor on its own labels (the shipped one's are `scores`). */
  const windowScores: Record<string, unknown> = {};
  for (const [kind, f] of fitted) {
    const fitS = score(f.fitEx, await probabilities(f.predictor, f.fitEx), f.windowThreshold);
    const calS = score(f.calEx, f.calProbs, f.windowThreshold);
    windowScores[kind] = { windowThreshold: f.windowThreshold, maxDirectedness: f.maxDirectedness, fit: fitS, calibration: calS, fitWindows: f.fitEx.length, fitFreeze: f.fitEx.filter((e) => e.label).length, calibrationWindows: f.calEx.length, calibrationFreeze: f.calEx.filter((e) => e.label).length, fitCpuSeconds: Math.round(f.fitCpu) };
    log(`${kind} labels, window scores at threshold ${f.windowThreshold}: fit balanced accuracy ${fitS.balancedAccuracy.toFixed(3)}, calibration ${calS.balancedAccuracy.toFixed(3)} (precision ${calS.precision.toFixed(3)}, recall ${calS.recall.toFixed(3)})`);
  }
  const fitScores = score(fitEx, await probabilities(predictor, fitEx), windowThreshold);
  const calScores = score(calEx, calProbs, windowThreshold);
  const perRun: Record<string, unknown> = {};
  for (const r of runs) {
    const ex = examplesOf(r, chosen.labels);
    perRun[r.id] = { ...score(ex, await probabilities(predictor, ex), windowThreshold), labelFreezeStep: labelSteps(r, chosen.labels) };
  }

  const training = {
    generatedBy: `npm run smartfrz:generate -- --count ${runs.length} && npm run smartfrz:build${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    backend: backend.name,
    labelKind: chosen.labels,
    labels: chosen.labels === 'drift' ? DRIFT_LABELS : DEFAULT_LABELS,
    record: RECORD,
    fit,
    calibration: {
      ...calibration, windowThreshold, thresholdRule: `the predictor (CKA or drift labels) with minLayerSimilarity (dense), minConvSimilarity (conv) or the drift signal (maxDriftRatio, driftSpan, convDriftSteps; replaces both bounds), stableReadings and the output guard (minOutputSimilarity, its bound from the calibration recordings) (probe read every ${PROBE_EVERY} steps; accuracy guard off): among the decisions saving at least ${MIN_MEAN_SAVED * 100}% of backward FLOPs (all, if none does), the most saved in real trainings of the ${tolPairs.length} tolerance pairs (the cheapest calibration pairs and every CNN one; ${CALIBRATION_SEEDS} seeds each, trained ${epochsScale}x their recorded epochs; a pair's loss the mean over its seeds) with mean loss <= ${MEAN_LOSS_TARGET} points and at most ${MAX_PAIRS_BEYOND} pair beyond ${PAIR_LOSS_BOUND} points`, thresholdGrid: grid,
      directednessQuantile: 0.95, guardRejectsNotFreezable: +guardRejects.toFixed(4),
      outputBound: { ...outputBound, balancedAccuracy: +outputBound.balancedAccuracy.toFixed(4), passesConverged: +outputBound.passesConverged.toFixed(4), holdsFar: +outputBound.holdsFar.toFixed(4) },
      seeds: CALIBRATION_SEEDS, epochsScale, meanLossTarget: MEAN_LOSS_TARGET, pairLossBound: PAIR_LOSS_BOUND, maxPairsBeyond: MAX_PAIRS_BEYOND, minMeanSaved: MIN_MEAN_SAVED, decisions: perConfig, tolerancePairs: tolRows,
    },
    fitPairs: fitRuns.map((r) => r.id),
    calibrationPairs: calRuns.map((r) => r.id),
    windowScores,
    windows: { fitAvailable: shipped.allFit, fit: fitEx.length, fitFreeze: fitEx.filter((e) => e.label).length, calibration: calEx.length, calibrationFreeze: calEx.filter((e) => e.label).length },
    scores: { fit: fitScores, calibration: calScores },
    cpuSeconds: { fit: Math.round([...fitted.values()].reduce((a, f) => a + f.fitCpu, 0)), toleranceRuns: Math.round(tolCpu) },
    /** Wall seconds of the recorded trainings (smartfrz:generate logs their CPU seconds). */
    recordingWallSeconds: Math.round(runs.reduce((a, r) => a + r.seconds, 0)),
  };
  const outDir = path.resolve(values.out!);
  await savePredictor(predictor, path.join(outDir, 'predictor.json'), training);
  const dataset = {
    ...training,
    runs: runs.map((r) => ({
      id: r.id, role: r.role, describe: r.describe, epochs: r.epochs, stepsPerEpoch: r.stepsPerEpoch, totalSteps: r.totalSteps,
      seconds: Math.round(r.seconds), testAccuracy: r.testAccuracy.map((a) => +a.toFixed(4)),
      units: r.units.map((u) => ({ name: u.name, cka: u.cka.map((c) => +c.toFixed(4)) })),
      scores: perRun[r.id],
    })),
    seconds: { total: Math.round((Date.now() - t0) / 1000) },
  };
  fs.writeFileSync(path.join(outDir, 'dataset.json'), JSON.stringify(dataset) + '\n');
  log(`wrote ${path.join(outDir, 'predictor.json')} and dataset.json in ${dataset.seconds.total} s (${cpu().toFixed(0)} s CPU)`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
