/**
 * npm run bench:freezing — every freezing policy side by side, in one run, on the
 * Fashion-MNIST MLP and CNN (examples/fashion-mnist): training time, test accuracy, backward
 * FLOPs saved, and the time each policy needs to reach the `none` run's final accuracy.
 *
 *   npm run bench:freezing -- [--data DIR] [--limit N] [--mlp-epochs E] [--cnn-epochs E]
 *                             [--models mlp,cnn] [--policies none,static,...] [--out FILE]
 *                             [--no-cache]   (freezing.cache: false — frozen prefix recomputed each step)
 *
 * Data: --data, else /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist), else
 * ../shared/datasets/fashion-mnist. Ratios are against `none` in the same run: the machine is
 * shared, absolute seconds are not comparable between runs.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseJsonc } from 'jsonc-parser';
import { runJob } from '../../src/runner/runJob';
import { isTrainSummary } from '../../src/runner/summary';
import type { RunEvent } from '../../src/core/train/events';
import type { FreezingPolicyName, TrainExperiment } from '../../src/core/experiment/types';

const root = path.resolve(__dirname, '../..');
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    limit: { type: 'string', default: '20000' },
    'mlp-epochs': { type: 'string', default: '8' },
    'cnn-epochs': { type: 'string', default: '5' },
    models: { type: 'string', default: 'mlp,cnn' },
    policies: { type: 'string', default: 'none,static,linear,autofreeze,smartfrz' },
    out: { type: 'string', default: path.join(root, 'test-output', 'bench', 'freezing.json') },
    'no-cache': { type: 'boolean', default: false },
  },
});

const dataDir = [values.data, '/usr/share/datasets/fashion-mnist', path.join(root, '..', 'shared', 'datasets', 'fashion-mnist')]
  .find((d) => d && existsSync(path.join(d, 'train-images-idx3-ubyte.gz')));
if (!dataDir) {
  console.error('Fashion-MNIST not found: pass --data DIR or apt-get install dataset-fashion-mnist');
  process.exit(2);
}

interface Row {
  model: string; policy: string; accuracy: number; trainSeconds: number; samplesPerSecond: number;
  backwardSaved: number; forwardSaved: number; freezes: string; curve: { epoch: number; seconds: number; accuracy: number }[];
}

function experimentFor(model: string): TrainExperiment {
  const file = path.join(root, 'examples', 'fashion-mnist', `fashion-${model}.experiment.json`);
  const exp = parseJsonc(readFileSync(file, 'utf8')) as TrainExperiment;
  const d = (f: string) => path.join(dataDir!, f);
  exp.data = {
    format: 'idx', scale: 255, limit: Number(values.limit),
    train: { images: d('train-images-idx3-ubyte.gz'), labels: d('train-labels-idx1-ubyte.gz') },
    test: { images: d('t10k-images-idx3-ubyte.gz'), labels: d('t10k-labels-idx1-ubyte.gz') },
  };
  exp.training.epochs = Number(values[model === 'mlp' ? 'mlp-epochs' : 'cnn-epochs']);
  return exp;
}

/** Static baseline: freeze all but the last two weighted layers halfway through. */
function freezingFor(policy: FreezingPolicyName, exp: TrainExperiment): TrainExperiment['freezing'] {
  const cache = values['no-cache'] ? { cache: false } : {};
  if (policy !== 'static') return { policy, ...cache };
  const weighted = (exp.model.layers ?? []).filter((l) => ['dense', 'conv2d', 'batchNormalization', 'embedding', 'transformerEncoder'].includes(l.type)).length;
  return { policy, prefix: Math.max(1, weighted - 2), atEpoch: Math.floor(exp.training.epochs / 2), ...cache };
}

async function runOne(model: string, policy: FreezingPolicyName, work: string): Promise<Row> {
  const exp = experimentFor(model);
  exp.freezing = freezingFor(policy, exp);
  const file = path.join(work, `${model}-${policy}.experiment.json`);
  writeFileSync(file, JSON.stringify(exp, null, 2));
  const curve: Row['curve'] = [];
  const summary = await runJob({ experimentFile: file, outRoot: path.join(work, 'runs') }, {
    log: () => undefined,
    event: (e: RunEvent) => {
      if (e.type === 'epoch') {
        curve.push({ epoch: e.epoch + 1, seconds: e.elapsedSeconds, accuracy: e.testAccuracy });
        process.stderr.write(`  ${model}/${policy} epoch ${e.epoch + 1}: acc ${(e.testAccuracy * 100).toFixed(2)}% ${e.elapsedSeconds.toFixed(1)}s frozen [${e.frozen.join(',')}]\n`);
      }
    },
  }, () => false);
  if (!isTrainSummary(summary)) throw new Error('expected a train run');
  return {
    model, policy, accuracy: summary.metrics.accuracy, trainSeconds: summary.trainSeconds,
    samplesPerSecond: summary.samplesPerSecond, backwardSaved: summary.flopsSaved.backward,
    forwardSaved: summary.flopsSaved.forward,
    freezes: summary.freezeEvents.map((f) => `${f.layer}@${f.epoch + 1}`).join(' '), curve,
  };
}

function timeToReach(row: Row, target: number): number | undefined {
  return row.curve.find((c) => c.accuracy >= target - 1e-9)?.seconds;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'ml-bench-freezing-'));
  const rows: Row[] = [];
  console.error(`data ${dataDir}, ${values.limit} training examples, work dir ${work}`);
  for (const model of values.models!.split(',')) {
    for (const policy of values.policies!.split(',') as FreezingPolicyName[]) {
      rows.push(await runOne(model, policy, work));
    }
  }
  const lines = ['| model | policy | test acc | Δacc vs none (pts) | train s | time vs none | backward FLOPs saved | time to none\'s final acc | freezes (layer@epoch) |', '|---|---|---|---|---|---|---|---|---|'];
  for (const model of new Set(rows.map((r) => r.model))) {
    const base = rows.find((r) => r.model === model && r.policy === 'none');
    for (const r of rows.filter((x) => x.model === model)) {
      const reach = base ? timeToReach(r, base.accuracy) : undefined;
      lines.push(`| ${model} | ${r.policy} | ${(r.accuracy * 100).toFixed(2)}% | ${base ? ((r.accuracy - base.accuracy) * 100).toFixed(2) : '—'} | ${r.trainSeconds.toFixed(1)} | ${base ? `${(r.trainSeconds / base.trainSeconds).toFixed(2)}x` : '—'} | ${(r.backwardSaved * 100).toFixed(1)}% | ${reach === undefined ? 'not reached' : `${reach.toFixed(1)} s`} | ${r.freezes || '—'} |`);
    }
  }
  console.log(lines.join('\n'));
  mkdirSync(path.dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, JSON.stringify({ data: dataDir, limit: Number(values.limit), rows }, null, 2));
  console.error(`wrote ${values.out}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
