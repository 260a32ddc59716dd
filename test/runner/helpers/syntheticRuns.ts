import * as path from 'node:path';
import type { TrainExperiment } from '../../../src/core/experiment/types';
import type { RunEvent } from '../../../src/core/train/events';
import { writeJsonAtomic } from '../../../src/core/util/atomicFile';
import type { Provenance } from '../../../src/runner/provenance';
import { PROVENANCE_FILE } from '../../../src/runner/provenanceFields';
import { updateRunMeta } from '../../../src/runner/runMeta';
import { appendEvent, createRun, writeSummary, type RunRecord, type RunStatus } from '../../../src/runner/runStore';
import type { TrainSummary } from '../../../src/runner/summary';

/**
 * Writes a run store of `n` finished train runs through the run store's own functions (the same
 * files a real run leaves: run.json, config.json, events.jsonl with start/epoch/freeze/end,
 * summary.json, meta.json, provenance.json), varying policy, learning rate, batch size and seed
 * the way a sweep would, and the source the way a project's history does (two commits, some
 * runs from a dirty tree, the data file replaced from run 100 on). Used by the runs-table tests, the e2e test and `npm run bench:runsTable`.
 */
export interface SyntheticRunOptions {
  /** Epochs per run (events.jsonl grows with it). */
  epochs?: number;
  experimentFile?: string;
  start?: Date;
}

const POLICIES = ['none', 'static', 'linear', 'autofreeze', 'smartfrz'] as const;
const RATES = [0.001, 0.003, 0.01];
const BATCHES = [32, 64];

export function syntheticExperiment(i: number): TrainExperiment {
  const policy = POLICIES[i % POLICIES.length];
  return {
    kind: 'train',
    name: 'digits-mlp',
    data: { format: 'csv', train: '/data/digits.csv.gz', label: 'last', scale: 16, testSplit: 0.2 } as TrainExperiment['data'],
    model: {
      inputShape: [64],
      layers: [
        { name: 'fc1', type: 'dense', units: 128, activation: 'relu' },
        { name: 'fc2', type: 'dense', units: 64, activation: 'relu' },
        { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
      ],
    } as TrainExperiment['model'],
    training: { epochs: 5, batchSize: BATCHES[Math.floor(i / 15) % BATCHES.length], optimizer: { type: 'adam', learningRate: RATES[Math.floor(i / 5) % RATES.length] }, seed: 7 + Math.floor(i / 30) } as TrainExperiment['training'],
    freezing: { policy } as TrainExperiment['freezing'],
  };
}

export async function writeSyntheticRuns(root: string, n: number, opts: SyntheticRunOptions = {}): Promise<string[]> {
  const epochs = opts.epochs ?? 5;
  const experimentFile = opts.experimentFile ?? '/work/digits/digits-mlp.experiment.json';
  const t0 = (opts.start ?? new Date('2026-11-01T08:00:00Z')).getTime();
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    const exp = syntheticExperiment(i);
    exp.training.epochs = epochs;
    const policy = exp.freezing!.policy!;
    const runId = `run-${String(i).padStart(4, '0')}-${policy}`;
    const runDir = path.join(root, runId);
    const startedAt = new Date(t0 + i * 60_000).toISOString();
    const trainSeconds = 20 + (i % 7) * 3.5;
    const status: RunStatus = i % 50 === 49 ? 'cancelled' : 'completed';
    const epochsDone = status === 'completed' ? epochs : Math.max(1, epochs - 2);
    const accuracy = 0.9 + ((i * 37) % 90) / 1000;
    const record: RunRecord = {
      runId, runDir, kind: 'train', experimentFile, experiment: exp.name, policy, status, startedAt,
      endedAt: new Date(t0 + i * 60_000 + trainSeconds * 1000 + 500).toISOString(),
      accuracy, trainSeconds, epochsDone, epochs, backend: 'wasm',
    };
    const config = { experimentFile, experiment: exp, sweep: undefined };
    await createRun(runDir, record, config);
    const layers = exp.model.layers!.map((l, unit) => ({ name: l.name!, type: l.type, unit, params: 1000 * (unit + 1) }));
    const start: RunEvent = { type: 'start', time: startedAt, runId, experiment: exp.name, policy, backend: 'wasm', epochs, stepsPerEpoch: 45, batchSize: exp.training.batchSize!, trainExamples: 1437, testExamples: 360, layers } as RunEvent;
    appendEvent(runDir, start);
    for (let e = 0; e < epochsDone; e++) {
      const frac = (e + 1) / epochs;
      appendEvent(runDir, {
        type: 'epoch', epoch: e, step: (e + 1) * 45, loss: 1.5 * (1 - frac) + 0.05, testLoss: 1.4 * (1 - frac) + 0.1, testAccuracy: accuracy * (0.6 + 0.4 * frac),
        seconds: trainSeconds / epochs, elapsedSeconds: (trainSeconds * (e + 1)) / epochs, samplesPerSecond: 3000, frozen: policy !== 'none' && e >= 2 ? ['fc1'] : [],
        flopsSaved: { forward: 0, backward: policy !== 'none' && e >= 2 ? 0.1 : 0 },
      } as RunEvent);
    }
    appendEvent(runDir, { type: 'end', status, epoch: epochsDone, step: epochsDone * 45, trainSeconds } as RunEvent);
    const summary: TrainSummary = {
      kind: 'train', status: status === 'completed' ? 'completed' : 'cancelled', runId, experiment: exp.name, experimentFile, runDir, policy, backend: 'wasm',
      epochs, epochsDone, metrics: { accuracy, loss: 0.1 + ((i * 13) % 50) / 100 }, trainSeconds, samplesPerSecond: 3000,
      freezeEvents: policy !== 'none' ? [{ layer: 'fc1', epoch: 2, step: 90 }] : [], flopsSaved: { forward: 0, backward: policy !== 'none' ? 0.1 : 0 },
    };
    await writeSummary(runDir, summary);
    const provenance: Provenance = {
      time: startedAt, modelLab: '0.1.0', node: 'v22.11.0', tfjs: '4.22.0', backend: 'wasm', platform: 'linux-x64',
      git: { commit: syntheticCommit(i), dirty: i % 7 === 1, root: path.dirname(experimentFile) },
      experimentFile, experiment: exp, seed: exp.training.seed,
      files: [{ pointer: '/data/train', path: (exp.data as { train: string }).train, sha256: syntheticDataHash(i), bytes: 86_000 }],
    };
    await writeJsonAtomic(path.join(runDir, PROVENANCE_FILE), provenance);
    if (i % 10 === 0) await updateRunMeta(runDir, { name: `${policy} lr ${exp.training.optimizer!.learningRate}`, tags: i % 20 === 0 ? ['baseline', 'sweep'] : ['sweep'], note: `run ${i}` });
    dirs.push(runDir);
  }
  return dirs;
}

/** The git commit a synthetic run records: the first 120 runs on one commit, the rest on the next. */
export function syntheticCommit(i: number): string {
  return (i < 120 ? '3f1c2a9be' : '8d04e7f11').padEnd(40, '0');
}

/** The SHA-256 of the data file a synthetic run records: the file was replaced from run 100 on. */
export function syntheticDataHash(i: number): string {
  return (i < 100 ? 'a'.repeat(12) : 'b'.repeat(12)).padEnd(64, '5');
}
