/**
 * Trains the built-in extractor shipped in `models/extractor/` on CoNLL04.
 *
 *   nice -n 10 npx tsx scripts/extract/train-builtin.ts \
 *     --train ../shared/datasets/conll04/conll04_train.json --dev ../shared/datasets/conll04/conll04_dev.json
 *
 * Options: --out DIR (default models/extractor), --tagger-epochs N, --relation-epochs N,
 * --backend auto|wasm|cpu, --seed N, --min-count N, --relation-min-count N, --dim N, --hidden N, --ensemble N (taggers averaged), --dropout P, --feature-dropout P,
 * --train-on-dev --threshold T (the final model: train + dev, epochs and threshold chosen on dev before),
 * --char-cnn N (character CNN word encoder with N filters in each tagger), --char-dim N (its character embedding width, default 16),
 * --average D (keep an exponential moving average of the tagger weights, decay D, e.g. 0.99), --crf (CRF tagger), --rnn N (bidirectional GRU of width N per direction in the tagger), --dictionary FILE (e.g. /usr/share/dict/american-english), --zoneinfo DIR (e.g. /usr/share/zoneinfo):
 * --compromise (named lists from the compromise package's lexicon), --name-dropout P (hide a training entity token's
 * identity features with probability P, see train.ts): word lists stored in the model, see system-word-lists.ts.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type BackendPreference } from '../../src/core/tensor/backend';
import { loadConll04 } from '../../src/core/extract/conll04';
import { CONLL04_SCHEMA } from '../../src/core/extract/schema';
import { trainExtractor } from '../../src/core/extract/builtin/train';
import { readSystemWordLists } from './system-word-lists';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      train: { type: 'string' },
      dev: { type: 'string' },
      out: { type: 'string', default: 'models/extractor' },
      'tagger-epochs': { type: 'string', default: '10' },
      'relation-epochs': { type: 'string', default: '8' },
      backend: { type: 'string', default: 'auto' },
      seed: { type: 'string', default: '1' },
      'min-count': { type: 'string', default: '1' },
      'relation-min-count': { type: 'string' },
      dim: { type: 'string', default: '64' },
      hidden: { type: 'string', default: '128' },
      ensemble: { type: 'string', default: '1' },
      dropout: { type: 'string', default: '0.35' },
      'feature-dropout': { type: 'string', default: '0.15' },
      // Development only: train on the first N training sentences (quick smoke runs).
      limit: { type: 'string' },
      // Final model: also train on the dev sentences, with epochs and threshold fixed beforehand.
      'train-on-dev': { type: 'boolean', default: false },
      threshold: { type: 'string' },
      crf: { type: 'boolean', default: false },
      rnn: { type: 'string', default: '0' },
      'char-cnn': { type: 'string', default: '0' },
      'char-dim': { type: 'string', default: '16' },
      average: { type: 'string', default: '0' },
      dictionary: { type: 'string' },
      zoneinfo: { type: 'string' },
      compromise: { type: 'boolean', default: false },
      'name-dropout': { type: 'string', default: '0' },
    },
  });
  if (!values.train) throw new Error('--train FILE is required');
  const backend = await initBackend(values.backend as BackendPreference);
  console.error(`backend: ${backend.name}`);
  const train = await loadConll04(values.train);
  if (values.limit !== undefined) train.splice(Number(values.limit));
  const devData = values.dev ? await loadConll04(values.dev) : undefined;
  const trainOnDev = values['train-on-dev'] === true;
  if (trainOnDev && (!devData || values.threshold === undefined)) throw new Error('--train-on-dev needs --dev and --threshold');
  if (trainOnDev) train.push(...devData!);
  const dev = trainOnDev ? undefined : devData;
  const wordLists = values.dictionary || values.zoneinfo || values.compromise
    ? await readSystemWordLists({ dictionary: values.dictionary, zoneinfo: values.zoneinfo, compromise: values.compromise === true }) : undefined;
  const t0 = Date.now();
  const { model, dev: scores } = await trainExtractor({
    train, dev, schema: CONLL04_SCHEMA,
    taggerEpochs: Number(values['tagger-epochs']), relationEpochs: Number(values['relation-epochs']),
    seed: Number(values.seed), minFeatureCount: Number(values['min-count']),
    relationMinFeatureCount: values['relation-min-count'] !== undefined ? Number(values['relation-min-count']) : undefined,
    dim: Number(values.dim), hidden: Number(values.hidden), taggerEnsemble: Number(values.ensemble), dropout: Number(values.dropout), featureDropout: Number(values['feature-dropout']),
    crf: values.crf === true, wordLists, rnn: Number(values.rnn), charCnn: Number(values['char-cnn']), charDim: Number(values['char-dim']), nameDropout: Number(values['name-dropout']), weightAverage: Number(values.average),
    relationThreshold: values.threshold !== undefined ? Number(values.threshold) : undefined,
    onProgress: (e) => console.error(JSON.stringify(e)),
  });
  const out = path.resolve(values.out!);
  await model.save(out);
  console.error(`saved to ${out} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (scores) console.log(JSON.stringify({ entity: scores.entity, relation: scores.relation }, null, 2));
  model.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
