/**
 * The shipped SmartFRZ predictor as a freezing policy on the HELD-OUT pairs of `pairs.ts`,
 * next to `none`, `linear` and `autofreeze`, all through the product's buildModel + train:
 * training seconds, final test accuracy, backward FLOPs saved and freeze events per run.
 * Writes `models/smartfrz/evaluation.json` and prints a markdown table.
 *
 *   node --import tsx scripts/smartfrz/evaluate.ts [--pairs id,id] [--policies none,smartfrz,...]
 *
 * Wall-clock times come from a shared, busy machine: compare them within one invocation only;
 * the FLOPs saved are exact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FreezingPolicyName, TrainExperiment } from '../../src/core/experiment/types';
import { createPolicy } from '../../src/core/freezing/create';
import { buildModel } from '../../src/core/model/build';
import { initBackend } from '../../src/core/tensor/backend';
import { train } from '../../src/core/train/trainer';
import { pairs } from './pairs';

const ROOT = path.resolve(__dirname, '..', '..');

function arg(name: string): string[] | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1].split(',') : undefined;
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const wanted = arg('--pairs');
  const policies = (arg('--policies') ?? ['none', 'smartfrz', 'linear', 'autofreeze']) as FreezingPolicyName[];
  const chosen = pairs().filter((p) => (wanted ? wanted.includes(p.id) : p.heldOut));
  const results: Array<Record<string, unknown>> = [];
  for (const pair of chosen) {
    const data = await pair.load();
    for (const policyName of policies) {
      const experiment: TrainExperiment = {
        kind: 'train',
        name: pair.id,
        data: { format: 'csv', train: '(in memory)', label: 'last' },
        model: pair.model,
        training: { epochs: pair.epochs, batchSize: pair.batchSize, optimizer: { type: 'adam', learningRate: pair.learningRate }, seed: pair.seed },
        freezing: { policy: policyName },
      };
      const model = await buildModel(pair.model, { exampleShape: data.exampleShape, inputDtype: 'float32', seed: pair.seed });
      const reasons: string[] = [];
      const r = await train({
        experiment, data, model, policy: createPolicy(experiment.freezing), runId: `${pair.id}-${policyName}`, backend: backend.name,
        onEvent: (e) => { if (e.type === 'freeze') reasons.push(`${e.layer}@epoch ${e.epoch}${e.reason ? ` (${e.reason})` : ''}`); },
        shouldStop: () => false,
      });
      model.dispose();
      const row = {
        pair: pair.id, policy: policyName, epochs: r.epochs, trainSeconds: +r.trainSeconds.toFixed(2),
        accuracy: +r.metrics.accuracy.toFixed(4), backwardSaved: +r.flopsSaved.backward.toFixed(4), forwardSaved: +r.flopsSaved.forward.toFixed(4),
        freezes: reasons,
      };
      log(JSON.stringify(row));
      results.push(row);
    }
  }
  const out = { generatedBy: `node --import tsx scripts/smartfrz/evaluate.ts ${process.argv.slice(2).join(' ')}`.trim(), backend: backend.name, results };
  fs.writeFileSync(path.join(ROOT, 'models', 'smartfrz', 'evaluation.json'), JSON.stringify(out, null, 1) + '\n');
  const none = new Map(results.filter((r) => r.policy === 'none').map((r) => [r.pair, r]));
  console.log('| pair | policy | train s | vs none | test acc | Δ acc (pts) | backward FLOPs saved | freezes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const base = none.get(r.pair) as typeof r | undefined;
    const ratio = base ? `${(((r.trainSeconds as number) / (base.trainSeconds as number) - 1) * 100).toFixed(0)}%` : '';
    const dAcc = base ? (((r.accuracy as number) - (base.accuracy as number)) * 100).toFixed(1) : '';
    console.log(`| ${r.pair} | ${r.policy} | ${r.trainSeconds} | ${ratio} | ${r.accuracy} | ${dAcc} | ${((r.backwardSaved as number) * 100).toFixed(1)}% | ${(r.freezes as string[]).join('; ')} |`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
