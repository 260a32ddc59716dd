import type { RunEvent } from '../../core/train/events';
import { isFiniteNumber, isRecord } from '../shared/validators';

/**
 * What the diffusion panel shows of one run, built by pure functions from what the run left in
 * its folder (`events.jsonl`, `samples.json`, `chain.json`, `grid.json`; see
 * `runner/diffusionPolicyJob.ts` and `runner/diffusionJob.ts`). The host reads the files; these
 * functions check every field they take (a run folder is data from disk, maybe crafted) and drop
 * what does not fit.
 */
export type DiffusionView = PolicyView | GenerationView;

export interface RunHeader {
  runId: string;
  /** The run folder (the webview persists it so the panel comes back after a reload). */
  runDir: string;
  experiment: string;
  status: string;
}

export interface PolicyMode {
  label: string;
  x: number;
  y: number;
  reward: number;
  /** Share of the final samples within `modeRadius` (undefined before the first measurement). */
  share?: number;
}

export interface PolicyView extends RunHeader {
  kind: 'diffusion-policy';
  arm: string;
  modes: PolicyMode[];
  modeRadius: number;
  /** Flat (x, y) pairs: data actions and final samples (2-D actions only; empty otherwise). */
  data: number[];
  samples: number[];
  /** The reverse chain of a few samples: `timesteps[k]` (-1 = x_T) and the flat states after it. */
  chain?: { timesteps: number[]; states: number[][] };
  /** Measurements over training (and the final one). */
  curve: { step: number; onMode: number; bestModeShare: number }[];
  onMode?: number;
  bestModeShare?: number;
  expectedReward?: number;
  /** Maze data: share of rollouts that reach the goal. */
  success?: number;
  /** Why the scatter is empty, when it is. */
  note?: string;
}

export interface GenerationArm {
  arm: string;
  distance?: number;
  distance7?: number;
  classConsistency?: number;
}

export interface GenerationView extends RunHeader {
  kind: 'diffusion';
  classNames: string[];
  arms: GenerationArm[];
  curve: { arm: string; step: number; distance: number; classConsistency: number }[];
  classifierAccuracy?: number;
  reconstructionDistance?: number;
  /** Per arm: `perClass` 28x28 images per class at each stage (coarse decode, full decode), base64 bytes. */
  grids: { arm: string; perClass: number; classes: number; pixels: string }[];
}

/** Most points drawn per set: enough to see the modes, small enough for a message. */
export const MAX_POINTS = 2000;
const MAX_CHAIN_STATES = 1001;

const numbers = (v: unknown, max: number): number[] | undefined =>
  Array.isArray(v) && v.length <= max * 2 && v.every(isFiniteNumber) ? (v as number[]) : undefined;

/** The policy view from a run's record fields, events and panel files (`samples`, `chain`: parsed JSON or undefined). */
export function policyView(header: RunHeader, events: readonly RunEvent[], samplesFile: unknown, chainFile: unknown): PolicyView {
  const start = events.find((e): e is Extract<RunEvent, { type: 'diffusion-start' }> => e.type === 'diffusion-start');
  const modes: PolicyMode[] = (start?.modes ?? [])
    .filter((m) => Array.isArray(m.action) && m.action.length >= 2 && m.action.every(isFiniteNumber) && isFiniteNumber(m.reward))
    .map((m, i) => ({ label: typeof m.label === 'string' ? m.label.slice(0, 40) : `mode ${i + 1}`, x: m.action[0], y: m.action[1], reward: m.reward }));
  const evals = events.filter((e): e is Extract<RunEvent, { type: 'diffusion-eval' }> => e.type === 'diffusion-eval' && isRecord(e.metrics));
  const curve = evals
    .filter((e) => isFiniteNumber(e.step) && isFiniteNumber(e.metrics.onMode) && isFiniteNumber(e.metrics.bestModeShare))
    .map((e) => ({ step: e.step, onMode: e.metrics.onMode, bestModeShare: e.metrics.bestModeShare }));
  const last = evals.at(-1);
  const shares = last?.modeShares;
  if (Array.isArray(shares) && shares.length === modes.length && shares.every(isFiniteNumber)) modes.forEach((m, i) => (m.share = shares[i]));
  const view: PolicyView = {
    ...header, kind: 'diffusion-policy', arm: start?.arms?.[0] ?? '', modes,
    modeRadius: isFiniteNumber(start?.modeRadius) ? start.modeRadius : 0.2, data: [], samples: [], curve,
    ...(last && isFiniteNumber(last.metrics.onMode) ? { onMode: last.metrics.onMode } : {}),
    ...(last && isFiniteNumber(last.metrics.bestModeShare) ? { bestModeShare: last.metrics.bestModeShare } : {}),
    ...(last && isFiniteNumber(last.metrics.expectedReward) ? { expectedReward: last.metrics.expectedReward } : {}),
    ...(last && isFiniteNumber(last.metrics.success) ? { success: last.metrics.success } : {}),
  };
  if (!isRecord(samplesFile)) {
    view.note = header.status === 'completed' ? 'this run left no samples.json' : 'sampled actions appear when the run completes';
    return view;
  }
  if (samplesFile.actionDim !== 2) {
    view.note = `the actions have ${String(samplesFile.actionDim)} dimensions: the scatter shows 2-D actions only`;
    return view;
  }
  view.data = (numbers(samplesFile.data, MAX_POINTS * 4) ?? []).slice(0, MAX_POINTS * 2);
  view.samples = (numbers(samplesFile.samples, MAX_POINTS * 50) ?? []).slice(0, MAX_POINTS * 2);
  if (isRecord(chainFile) && Array.isArray(chainFile.timesteps) && Array.isArray(chainFile.states)) {
    const timesteps = chainFile.timesteps;
    const states = chainFile.states.map((s) => numbers(s, 5000)?.slice(0, 2 * MAX_POINTS));
    if (timesteps.length === states.length && timesteps.length <= MAX_CHAIN_STATES && timesteps.every(isFiniteNumber) && states.every((s) => s !== undefined)) {
      view.chain = { timesteps: timesteps as number[], states: states as number[][] };
    }
  }
  return view;
}

/** The generation view from a run's record fields, events and `grid.json` (parsed JSON or undefined). */
export function generationView(header: RunHeader, events: readonly RunEvent[], gridFile: unknown): GenerationView {
  const start = events.find((e): e is Extract<RunEvent, { type: 'diffusion-start' }> => e.type === 'diffusion-start');
  const armNames = (start?.arms ?? []).filter((a): a is string => typeof a === 'string').slice(0, 4);
  const view: GenerationView = {
    ...header, kind: 'diffusion',
    classNames: (start?.classNames ?? []).filter((c): c is string => typeof c === 'string').map((c) => c.slice(0, 40)).slice(0, 100),
    arms: armNames.map((arm) => ({ arm })), curve: [], grids: [],
  };
  for (const e of events) {
    if (e.type !== 'diffusion-eval' || !isRecord(e.metrics)) continue;
    const m = e.metrics;
    if (e.arm === 'classifier' && isFiniteNumber(m.devAccuracy)) view.classifierAccuracy = m.devAccuracy;
    else if (e.arm === 'autoencoder' && isFiniteNumber(m.reconstructionDistance)) view.reconstructionDistance = m.reconstructionDistance;
    const arm = view.arms.find((a) => a.arm === e.arm);
    if (!arm || !isFiniteNumber(m.distance) || !isFiniteNumber(m.classConsistency) || !isFiniteNumber(e.step)) continue;
    view.curve.push({ arm: arm.arm, step: e.step, distance: m.distance, classConsistency: m.classConsistency });
    if (e.final) Object.assign(arm, { distance: m.distance, classConsistency: m.classConsistency, ...(isFiniteNumber(m.distance7) ? { distance7: m.distance7 } : {}) });
  }
  if (isRecord(gridFile) && isRecord(gridFile.grids)) {
    for (const arm of armNames) {
      const g = gridFile.grids[arm];
      if (!isRecord(g) || !Number.isInteger(g.perClass) || !Number.isInteger(g.classes) || typeof g.pixels !== 'string') continue;
      const perClass = g.perClass as number;
      const classes = g.classes as number;
      // base64 of [2 stages][classes][perClass][28 * 28] bytes.
      if (perClass < 1 || perClass > 32 || classes < 1 || classes > 100 || g.pixels.length !== Math.ceil((2 * classes * perClass * 784) / 3) * 4) continue;
      view.grids.push({ arm, perClass, classes, pixels: g.pixels });
    }
  }
  return view;
}
