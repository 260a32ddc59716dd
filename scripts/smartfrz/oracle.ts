/**
 * SmartFRZ oracle study: per pair, when SmartFRZ froze each unit against the earliest epoch it
 * could have frozen without costing accuracy, and what each guard said at each freezing stage.
 *
 *   node --import tsx scripts/smartfrz/oracle.ts [--calibration N | --generated g003,g007 | --bench all|long|id,id]
 *                                                [--tolerance 0.5] [--predictor FILE] [--out FILE] [--stages-only]
 *
 * `--stages-only` skips the search: `none` and one logged SmartFRZ run per pair (P(freeze), the
 * candidate's probe CKA and what held it back at each stage), a diagnosis at ~1/4 of a bench's CPU.
 *
 * The oracle is greedy and front to back: unit 0 freezes after the earliest epoch e0 such that
 * freezing it after e0 or any later epoch keeps the final accuracy within `--tolerance` points
 * of `none` (scanned from the last epoch down, stopping at the first miss, so a lucky early epoch
 * does not count); unit 1 then the same with unit 0 frozen after e0; and so on. Every candidate
 * schedule is a real training run of the same seed.
 *
 * `--calibration N` studies the first N calibration pairs of the generated set (what
 * `smartfrz:build` calibrates on); `--bench` the held-out bench pairs, for DIAGNOSIS only: nothing
 * measured on them may choose a setting.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createNonePolicy } from '../../src/core/freezing/none';
import type { EpochMetrics, FreezableUnit, FreezingPolicy, StepInfo, TrainingPlan } from '../../src/core/freezing/policy';
import { SmartFrzPolicy } from '../../src/core/freezing/smartfrz/policy';
import { loadPredictor } from '../../src/core/freezing/smartfrz/predictorFile';
import { initBackend } from '../../src/core/tensor/backend';
import { LONG_PAIRS, PAIRS } from '../bench/freezingPairs';
import { DEFAULT_CACHE, readCache } from './generate';
import { generatedStudyPair, type StudyPair, type TrainedRun, trainWith } from './trainPair';

/** Freezes unit k after epoch `after[k]` (1-based: takes effect from the next epoch's first step). */
export class ScheduledPolicy implements FreezingPolicy {
  readonly name = 'static' as const;
  private stepsPerEpoch = 1;
  private steps = 0;
  constructor(private readonly after: number[]) {}
  init(_units: FreezableUnit[], plan: TrainingPlan): void { this.stepsPerEpoch = plan.stepsPerEpoch; this.steps = 0; }
  afterStep(step: StepInfo): void { this.steps = step.globalStep + 1; }
  frozenPrefix(): number { return this.after.filter((e) => this.steps >= e * this.stepsPerEpoch).length; }
  saveState(): unknown { return { steps: this.steps }; }
  loadState(s: unknown): void { this.steps = (s as { steps: number }).steps; }
}

/**
 * A SmartFRZ policy that also logs, at each epoch's end, the last freezing stage's P(freeze), the
 * candidate's probe CKA at the last reading, the prefix and what held it back (with the per-layer
 * signal, stages run every `probeEvery` steps; this samples them once per epoch).
 */
class LoggedSmartFrz extends SmartFrzPolicy {
  readonly stages: Array<{ epoch: number; frozen: number; p: number[]; cka: number; hold?: string }> = [];
  override async afterEpoch(m: EpochMetrics): Promise<void> {
    const candidate = this.frozenPrefix();
    await super.afterEpoch(m);
    this.stages.push({
      epoch: m.epoch + 1, frozen: this.frozenPrefix(), p: this.lastProbabilities().map((x) => +x.toFixed(3)),
      cka: +this.layerSimilarity(candidate).toFixed(4), ...(this.lastHold() ? { hold: this.lastHold() } : {}),
    });
  }
}

export interface OracleResult {
  pair: string;
  none: TrainedRun;
  /** Oracle epoch after which each unit freezes (null: it cannot, within tolerance). */
  oracle: Array<number | null>;
  oracleRun?: TrainedRun;
  /** Every schedule tried: freeze epochs of units 0..k, and the run. */
  tried: Array<{ after: number[]; accuracy: number; cpuSeconds: number; backwardSaved: number }>;
  smartfrz?: TrainedRun & { stages: LoggedSmartFrz['stages'] };
}

/** `stagesOnly`: skip the oracle's search (only `none` and the logged SmartFRZ run: a cheap diagnosis). */
export async function oracleOf(pair: StudyPair, tolerancePoints: number, opts: { keepTrainable?: number; predictorFile?: string; stagesOnly?: boolean; log?: (m: string) => void } = {}): Promise<OracleResult> {
  const log = opts.log ?? (() => {});
  const data = await pair.load();
  const none = await trainWith(pair, data, createNonePolicy());
  const units = pair.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').length - (opts.keepTrainable ?? 1);
  const ok = (r: TrainedRun) => (none.accuracy - r.accuracy) * 100 <= tolerancePoints + 1e-9;
  const schedule: number[] = [];
  const oracle: Array<number | null> = [];
  const tried: OracleResult['tried'] = [];
  let oracleRun: TrainedRun | undefined;
  for (let u = 0; u < (opts.stagesOnly ? 0 : units); u++) {
    const from = schedule.length > 0 ? schedule[schedule.length - 1] : 1;
    let best: { e: number; run: TrainedRun } | undefined;
    for (let e = pair.epochs - 1; e >= from; e--) {
      const run = await trainWith(pair, data, new ScheduledPolicy([...schedule, e]));
      tried.push({ after: [...schedule, e], accuracy: run.accuracy, cpuSeconds: run.cpuSeconds, backwardSaved: run.backwardSaved });
      log(`  ${pair.id} unit ${u} after epoch ${e}: ${(run.accuracy * 100).toFixed(2)}% (none ${(none.accuracy * 100).toFixed(2)}%), ${((1 - run.cpuSeconds / none.cpuSeconds) * 100).toFixed(0)}% CPU saved`);
      if (!ok(run)) break;
      best = { e, run };
    }
    if (!best) break;
    schedule.push(best.e);
    oracle.push(best.e);
    oracleRun = best.run;
  }
  while (oracle.length < units) oracle.push(null);
  let smartfrz: OracleResult['smartfrz'];
  if (opts.predictorFile !== undefined) {
    const policy = new LoggedSmartFrz({ predictor: loadPredictor(opts.predictorFile) });
    const run = await trainWith(pair, data, policy);
    policy.dispose();
    smartfrz = { ...run, stages: policy.stages };
  }
  return { pair: pair.id, none, oracle, ...(oracleRun ? { oracleRun } : {}), tried, ...(smartfrz ? { smartfrz } : {}) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calibration: { type: 'string' },
      generated: { type: 'string' },
      bench: { type: 'string' },
      'stages-only': { type: 'boolean', default: false },
      tolerance: { type: 'string', default: '0.5' },
      predictor: { type: 'string', default: path.resolve(__dirname, '..', '..', 'models', 'smartfrz', 'predictor.json') },
      cache: { type: 'string', default: DEFAULT_CACHE },
      out: { type: 'string', default: path.resolve(__dirname, '..', '..', 'test-output', 'smartfrz', 'oracle.json') },
    },
  });
  await initBackend();
  const log = (m: string) => process.stderr.write(`${m}\n`);
  let pairs: StudyPair[] = [];
  // --bench all: the 7 round-5 pairs; long: the longer-budget ones; or ids of either.
  if (values.bench !== undefined) {
    pairs = [...PAIRS, ...LONG_PAIRS].filter((p) => (values.bench === 'all' && PAIRS.includes(p)) || (values.bench === 'long' && LONG_PAIRS.includes(p)) || values.bench!.split(',').includes(p.id));
  }
  else if (values.generated !== undefined) pairs = values.generated.split(',').map(generatedStudyPair);
  else if (values.calibration !== undefined) {
    pairs = readCache(path.resolve(values.cache!)).filter((r) => r.role === 'calibrate').slice(0, Number(values.calibration)).map((r) => generatedStudyPair(r.id));
  }
  if (pairs.length === 0) throw new Error('no pairs: give --calibration N, --generated ids or --bench ids|all');
  const c0 = process.cpuUsage();
  const results: OracleResult[] = [];
  for (const pair of pairs) {
    log(`${pair.id}`);
    const r = await oracleOf(pair, Number(values.tolerance), { predictorFile: values.predictor, stagesOnly: values['stages-only'], log });
    results.push(r);
    const s = r.smartfrz;
    const oracle = values['stages-only']
      ? 'oracle not searched'
      : `oracle after [${r.oracle.join(', ')}] ${r.oracleRun ? `${((1 - r.oracleRun.cpuSeconds / r.none.cpuSeconds) * 100).toFixed(0)}% CPU / ${(r.oracleRun.backwardSaved * 100).toFixed(0)}% bwd saved` : 'nothing'}`;
    log(`${pair.id}: none ${(r.none.accuracy * 100).toFixed(2)}%; ${oracle}` +
      (s ? `; smartfrz [${s.freezes.join(' ')}] ${((s.accuracy - r.none.accuracy) * 100).toFixed(2)} pts, ${((1 - s.cpuSeconds / r.none.cpuSeconds) * 100).toFixed(0)}% CPU saved\n    ${s.stages.map((st) => `e${st.epoch}: k=${st.frozen} p=[${st.p.join(',')}] cka=${st.cka}${st.hold ? ` (${st.hold})` : ''}`).join('\n    ')}` : ''));
    mkdirSync(path.dirname(values.out!), { recursive: true });
    writeFileSync(values.out!, JSON.stringify({ tolerance: Number(values.tolerance), results }, null, 1));
  }
  const c = process.cpuUsage(c0);
  log(`wrote ${values.out}; ${((c.user + c.system) / 1e6).toFixed(0)} s CPU`);
}

if (require.main === module) {
  main().then(() => process.exit(0), (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
