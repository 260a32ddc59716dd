import { UserError } from '../errors';
import type { CsvDataConfig, DataConfig, IdxDataConfig, IdxPair, JsonlDataConfig } from '../experiment/types';
import { createRng } from '../util/random';
import { sortedClassNames } from './classNames';
import { parseCsv } from './csv';
import { parseIdxImages, parseIdxLabels } from './idx';
import { parseJsonl, type TextRecords } from './jsonl';
import { readDataFile } from './readFile';
import { gatherRows, holdOut } from './split';
import { buildVocab, encodeTexts, tokenize } from './textVocab';
import type { LoadedData, Split } from './types';

export { checkDataAgainstModel, checkLabels, type DataWarning } from './check';

/** Defaults of the optional data options (also stated in the schema). */
export const DATA_DEFAULTS = { testSplit: 0.2, maxLength: 64, vocabSize: 20000 } as const;

export interface LoadDataOptions {
  /** Seeds the test hold-out when no test file is given. */
  seed: number;
}

/**
 * Load a classification dataset as the experiment's `data` describes it (paths already
 * absolute). Order of operations: read the training file, keep the first `limit` examples,
 * hold out `testSplit` of them (seeded shuffle) unless a `test` file is given, then scale.
 * For text the vocabulary is built from the training split only, so held-out examples do not
 * leak into it. Problems are `UserError`s naming the config field and, for data files, the
 * file and line.
 */
export async function loadData(cfg: DataConfig, opts: LoadDataOptions): Promise<LoadedData> {
  switch (cfg.format) {
    case 'csv':
      return loadCsv(cfg, opts.seed);
    case 'idx':
      return loadIdx(cfg, opts.seed);
    case 'jsonl':
      return loadJsonl(cfg, opts.seed);
    default:
      throw new UserError(`unknown data format "${String((cfg as { format: unknown }).format)}"; expected one of csv, idx, jsonl`, '/data/format');
  }
}

/** Features of csv and idx data before splitting. */
interface Examples {
  x: Float32Array;
  y: Int32Array;
  count: number;
  exampleShape: number[];
  /** `data.scale` already applied (IDX does it while converting). */
  scaled: boolean;
  /** Text class labels: `y` indexes these. */
  classNames?: string[];
}

async function loadCsv(cfg: CsvDataConfig, seed: number): Promise<LoadedData> {
  const read = async (file: string, pointer: string): Promise<Examples> => {
    const t = parseCsv(await readDataFile(file, pointer), { label: cfg.label ?? 'last', header: cfg.header ?? false, file, pointer });
    return { x: t.x, y: t.y, count: t.count, exampleShape: [t.features], scaled: false, classNames: t.classNames };
  };
  const train = await read(cfg.train, '/data/train');
  const test = cfg.test !== undefined ? await read(cfg.test, '/data/test') : undefined;
  if (test && (train.classNames || test.classNames)) unifyClassNames(train, test);
  if (test && test.exampleShape[0] !== train.exampleShape[0]) {
    throw new UserError(
      `the test file has ${test.exampleShape[0]} feature columns, the training file ${train.exampleShape[0]}`,
      '/data/test',
      cfg.test,
    );
  }
  return finishNumeric(train, test, cfg, seed);
}

async function loadIdx(cfg: IdxDataConfig, seed: number): Promise<LoadedData> {
  const read = async (pair: IdxPair, pointer: string): Promise<Examples> => {
    const [imagesBuf, labelsBuf] = await Promise.all([
      readDataFile(pair.images, `${pointer}/images`),
      readDataFile(pair.labels, `${pointer}/labels`),
    ]);
    const scale = checkScale(cfg.scale);
    if (!Number.isFinite(Math.fround(255 / scale))) throw new UserError(`scale ${scale} makes pixel values overflow float32; use a larger scale`, '/data/scale');
    const images = parseIdxImages(imagesBuf, pair.images, `${pointer}/images`, scale);
    const labels = parseIdxLabels(labelsBuf, pair.labels, `${pointer}/labels`);
    if (labels.length !== images.count) {
      throw new UserError(`${labels.length} labels for ${images.count} images (${pair.images})`, `${pointer}/labels`, pair.labels);
    }
    return { x: images.x, y: labels, count: images.count, exampleShape: [images.height, images.width, 1], scaled: true };
  };
  // Decompression runs on libuv's thread pool, so reading both splits at once overlaps it.
  const [train, test] = await Promise.all([
    read(cfg.train, '/data/train'),
    cfg.test !== undefined ? read(cfg.test, '/data/test') : Promise.resolve(undefined),
  ]);
  if (test && (test.exampleShape[0] !== train.exampleShape[0] || test.exampleShape[1] !== train.exampleShape[1])) {
    throw new UserError(
      `test images are ${test.exampleShape[0]}x${test.exampleShape[1]}, training images ${train.exampleShape[0]}x${train.exampleShape[1]}`,
      '/data/test/images',
      cfg.test?.images,
    );
  }
  return finishNumeric(train, test, cfg, seed);
}

/** limit, split, scale and class count for float features. */
function finishNumeric(train: Examples, test: Examples | undefined, cfg: CsvDataConfig | IdxDataConfig, seed: number): LoadedData {
  const width = train.exampleShape.reduce((a, b) => a * b, 1);
  let trainSplit: Split = limitSplit({ x: train.x, y: train.y, count: train.count }, width, cfg.limit);
  let testSplit: Split;
  if (test) {
    testSplit = { x: test.x, y: test.y, count: test.count };
  } else {
    const { train: tr, test: te } = holdOut(trainSplit.count, cfg.testSplit ?? DATA_DEFAULTS.testSplit, createRng(seed));
    testSplit = takeSplit(trainSplit, width, te);
    trainSplit = takeSplit(trainSplit, width, tr);
  }
  const scale = checkScale(cfg.scale);
  if (scale !== 1 && !train.scaled) {
    for (const s of [trainSplit, testSplit]) {
      const x = s.x as Float32Array;
      for (let i = 0; i < x.length; i++) x[i] /= scale;
      // A tiny scale can push values past float32 (they would train as Infinity).
      const bad = x.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new UserError(`scale ${scale} makes values overflow float32 (a value became ${x[bad]}); use a larger scale`, '/data/scale');
    }
  }
  return {
    train: trainSplit,
    test: testSplit,
    exampleShape: train.exampleShape,
    xDtype: 'float32',
    numClasses: train.classNames ? train.classNames.length : Math.max(maxOf(trainSplit.y), maxOf(testSplit.y)) + 1,
    ...(train.classNames ? { classNames: train.classNames } : {}),
  };
}

/**
 * One class mapping for a training and a test file when either has text labels: the sorted
 * union of both files' names (a file of integer labels contributes them as names), and both
 * files' `y` re-indexed into it.
 */
function unifyClassNames(train: Examples, test: Examples): void {
  const namesOf = (e: Examples): string[] => e.classNames ?? [...new Set(e.y)].map(String);
  const all = sortedClassNames([...namesOf(train), ...namesOf(test)]);
  const index = new Map(all.map((n, i) => [n, i]));
  for (const e of [train, test]) {
    const names = e.classNames;
    for (let i = 0; i < e.count; i++) e.y[i] = index.get(names ? names[e.y[i]] : String(e.y[i])) as number;
    e.classNames = all;
  }
}

async function loadJsonl(cfg: JsonlDataConfig, seed: number): Promise<LoadedData> {
  const maxLength = cfg.maxLength ?? DATA_DEFAULTS.maxLength;
  const vocabSize = cfg.vocabSize ?? DATA_DEFAULTS.vocabSize;
  if (!(Number.isInteger(maxLength) && maxLength >= 1)) throw new UserError(`maxLength must be an integer >= 1, got ${maxLength}`, '/data/maxLength');
  if (!(Number.isInteger(vocabSize) && vocabSize >= 3)) throw new UserError(`vocabSize must be an integer >= 3, got ${vocabSize}`, '/data/vocabSize');
  const read = async (file: string, pointer: string): Promise<TextRecords> =>
    parseJsonl((await readDataFile(file, pointer)).toString('utf8'), file, pointer);

  let train = await read(cfg.train, '/data/train');
  const testFile = cfg.test !== undefined ? await read(cfg.test, '/data/test') : undefined;
  if (cfg.limit !== undefined) train = sliceRecords(train, 0, cfg.limit);
  let test: TextRecords;
  if (testFile) {
    test = testFile;
    const trainKind = typeof train.labels[0];
    if (typeof test.labels[0] !== trainKind) {
      throw new UserError(`test labels are ${typeof test.labels[0]}s but training labels are ${trainKind}s`, '/data/test', cfg.test, test.lines[0], 1);
    }
  } else {
    const { train: tr, test: te } = holdOut(train.texts.length, cfg.testSplit ?? DATA_DEFAULTS.testSplit, createRng(seed));
    test = pickRecords(train, te);
    train = pickRecords(train, tr);
  }

  // Class indices: integer labels are used as they are; string labels are sorted.
  let classNames: string[] | undefined;
  const toClass = (labels: (string | number)[]): Int32Array => {
    if (classNames === undefined) return Int32Array.from(labels as number[]);
    const index = new Map(classNames.map((c, i) => [c, i]));
    return Int32Array.from(labels, (l) => index.get(l as string) as number);
  };
  if (typeof train.labels[0] === 'string') {
    classNames = sortedClassNames([...train.labels, ...test.labels] as string[]);
  }
  const trainTokens = train.texts.map(tokenize);
  const vocab = buildVocab(trainTokens, vocabSize);
  const trainSplit: Split = { x: encodeTexts(trainTokens, vocab, maxLength), y: toClass(train.labels), count: train.texts.length };
  const testSplit: Split = { x: encodeTexts(test.texts.map(tokenize), vocab, maxLength), y: toClass(test.labels), count: test.texts.length };
  return {
    train: trainSplit,
    test: testSplit,
    exampleShape: [maxLength],
    xDtype: 'int32',
    numClasses: classNames ? classNames.length : Math.max(maxOf(trainSplit.y), maxOf(testSplit.y)) + 1,
    classNames,
    vocab,
  };
}

function checkScale(scale: number | undefined): number {
  if (scale === undefined) return 1;
  if (!(scale > 0 && Number.isFinite(scale))) throw new UserError(`scale must be a number > 0, got ${scale}`, '/data/scale');
  return scale;
}

function limitSplit(s: Split, width: number, limit: number | undefined): Split {
  if (limit === undefined) return s;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new UserError(`limit must be an integer >= 1, got ${limit}`, '/data/limit');
  if (limit >= s.count) return s;
  return { x: s.x.slice(0, limit * width), y: s.y.slice(0, limit), count: limit };
}

function takeSplit(s: Split, width: number, idx: Int32Array): Split {
  return { x: gatherRows(s.x, width, idx), y: gatherRows(s.y, 1, idx), count: idx.length };
}

function sliceRecords(r: TextRecords, start: number, end: number): TextRecords {
  return { texts: r.texts.slice(start, end), labels: r.labels.slice(start, end), lines: r.lines.slice(start, end) };
}

function pickRecords(r: TextRecords, idx: Int32Array): TextRecords {
  const pick = <T>(a: T[]): T[] => Array.from(idx, (i) => a[i]);
  return { texts: pick(r.texts), labels: pick(r.labels), lines: pick(r.lines) };
}

function maxOf(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}
