/**
 * Trains the learned rationale selector (`src/core/extract/causal/rationaleSelector.ts`) of an
 * existing causal model against its relation classifier, and writes the model with it:
 *
 *   # dev: the train-only model of `train-causal.ts` (same split), scored on its dev sentences
 *   nice -n 10 npx tsx scripts/extract/train-rationale.ts --model /tmp/causal-dev/causal.json \
 *     --data ../shared/datasets/semeval2010-task8/TRAIN_FILE.TXT.gz --out /tmp/causal-dev-sel
 *   # the shipped model (trained on all 8,000): the selector too
 *   nice -n 10 npx tsx scripts/extract/train-rationale.ts --model models/causal/causal.json \
 *     --data ../shared/datasets/semeval2010-task8/TRAIN_FILE.TXT.gz --train-on-all --out models/causal
 *
 * Without --train-on-all the data are split as `train-causal.ts` splits them (`--dev-fraction`,
 * `--split-seed`), the selector learns on the train part and the dev part is scored: the official
 * score, Cause-Effect, ERASER comprehensiveness / sufficiency of the learned rationales and of
 * erasure rationales, each next to random rationales, and the cue-swap probe. Options:
 * --epochs N (3), --sparsity X (0.1), --samples N (4), --seed N (1), --min-count N (10), --sparsity-grid X,Y,...
 * (trains one selector per value and reports each on dev; the last one is written).
 * The official test split is never read.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/core/tensor/backend';
import { loadSemEval8, splitSemEval } from '../../src/core/extract/semeval8';
import { CausalModel } from '../../src/core/extract/causal/causalModel';
import { cueSwapProbe } from '../../src/core/extract/causal/cueSwap';
import { evaluateCausal } from '../../src/core/extract/causal/evaluateCausal';
import { trainRationaleSelector } from '../../src/core/extract/causal/trainRationaleSelector';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' },
      'train-on-all': { type: 'boolean', default: false },
      'dev-fraction': { type: 'string', default: '0.1' }, 'split-seed': { type: 'string', default: '17' },
      epochs: { type: 'string', default: '3' }, sparsity: { type: 'string', default: '0.1' }, 'sparsity-grid': { type: 'string' },
      samples: { type: 'string', default: '4' }, seed: { type: 'string', default: '1' }, 'min-count': { type: 'string', default: '10' },
    },
  });
  if (!values.model || !values.data || !values.out) throw new Error('--model FILE, --data FILE and --out DIR are required');
  await initBackend();
  const model = await CausalModel.load(values.model);
  const all = await loadSemEval8(values.data);
  const { train, dev } = values['train-on-all'] ? { train: all, dev: undefined } : splitSemEval(all, Number(values['dev-fraction']), Number(values['split-seed']));
  console.error(`train ${train.length} sentences, dev ${dev?.length ?? 0}`);
  const pairs = train.map((s) => ({ tokens: s.tokens, e1: s.e1, e2: s.e2 }));
  const grid = (values['sparsity-grid'] ?? values.sparsity!).split(',').map(Number);
  let withSelector: CausalModel | undefined;
  for (const sparsity of grid) {
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const selector = await trainRationaleSelector({
      classifier: model.classifier, pairs, epochs: Number(values.epochs), samples: Number(values.samples), sparsity, seed: Number(values.seed), minFeatureCount: Number(values['min-count']),
      onEpoch: (e) => console.error(JSON.stringify({ sparsity, ...e })),
    });
    const cpu = process.cpuUsage(cpu0);
    console.error(`selector (sparsity ${sparsity}): ${selector.meta.features.length} features, ${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU`);
    withSelector = model.withSelector(selector);
    if (dev) {
      const { official, endToEnd, ...scores } = evaluateCausal(withSelector, dev, { compareErasure: true });
      void official; void endToEnd;
      console.log(JSON.stringify({ sparsity, ...scores }, null, 2));
    }
  }
  if (dev) console.log(JSON.stringify({ cueSwap: cueSwapProbe(model.classifier, dev) }));
  await withSelector!.save(path.resolve(values.out));
  console.error(`saved to ${path.resolve(values.out)}`);
  model.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
