/**
 * Trains the built-in causal model shipped in `models/causal/` (iReason-lite, the text half of
 * iReason) on SemEval-2010 Task 8 (Hendrickx et al. 2010, CC BY 3.0):
 *
 *   nice -n 10 npx tsx scripts/extract/train-causal.ts --data ../shared/datasets/semeval2010-task8/TRAIN_FILE.TXT.gz
 *
 * Without --train-on-all the 8,000 training sentences are split into train (90%) and dev (10%,
 * seeded and stratified: `splitSemEval`), every choice is made on dev, and the dev scores are
 * printed (`--end-to-end` adds Cause-Effect with nominals found by the model, `--probe` the cue
 * swap bias probe). With --train-on-all --classifier-epochs N --threshold T the final model is
 * trained on all 8,000 with the settings chosen before. The official test split is never read.
 *
 * Options: --out DIR (default models/causal), --seed N, --classifier-epochs N, --tagger-epochs N,
 * --dev-fraction F, --split-seed N, --backend auto|wasm|cpu, --dev-out FILE (writes the dev split
 * in the official format, for `model-lab extract eval --format semeval8`).
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type BackendPreference } from '../../src/core/tensor/backend';
import { formatSemEval8, loadSemEval8, splitSemEval } from '../../src/core/extract/semeval8';
import { trainCausalModel } from '../../src/core/extract/causal/trainCausal';
import { cueSwapProbe } from '../../src/core/extract/causal/cueSwap';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string', default: 'models/causal' },
      seed: { type: 'string', default: '1' },
      'classifier-epochs': { type: 'string', default: '8' },
      'tagger-epochs': { type: 'string', default: '3' },
      'dev-fraction': { type: 'string', default: '0.1' },
      'split-seed': { type: 'string', default: '17' },
      'train-on-all': { type: 'boolean', default: false },
      threshold: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      'dev-out': { type: 'string' },
    },
  });
  if (!values.data) throw new Error('--data FILE (SemEval-2010 Task 8 TRAIN_FILE.TXT, plain or .gz) is required');
  const backend = await initBackend(values.backend as BackendPreference);
  console.error(`backend: ${backend.name}`);
  const all = await loadSemEval8(values.data);
  const trainOnAll = values['train-on-all'] === true;
  if (trainOnAll && values.threshold === undefined) throw new Error('--train-on-all needs --threshold (chosen on dev before)');
  const { train, dev } = trainOnAll ? { train: all, dev: undefined } : splitSemEval(all, Number(values['dev-fraction']), Number(values['split-seed']));
  console.error(`train ${train.length} sentences, dev ${dev?.length ?? 0}`);
  if (values['dev-out'] && dev) await writeFile(values['dev-out'], formatSemEval8(dev));
  const t0 = Date.now();
  const { model, dev: scores } = await trainCausalModel({
    train, dev, seed: Number(values.seed),
    classifierEpochs: Number(values['classifier-epochs']), taggerEpochs: Number(values['tagger-epochs']),
    threshold: values.threshold !== undefined ? Number(values.threshold) : undefined,
    onProgress: (e) => console.error(JSON.stringify(e)),
  });
  const out = path.resolve(values.out!);
  await model.save(out);
  console.error(`saved to ${out} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (scores && dev) {
    const { official, ...rest } = scores;
    console.log(JSON.stringify({ ...rest, relations: Object.fromEntries(Object.entries(official.relations).map(([k, v]) => [k, +v.f1.toFixed(4)])) }, null, 2));
    console.log(JSON.stringify({ cueSwap: cueSwapProbe(model.classifier, dev) }, null, 2));
  }
  model.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
