import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node as JsonNode } from 'jsonc-parser';
import { inspectCsvHead, inspectIdxHead, type DataHead } from '../data/head';
import { isUncPath } from '../util/uncPath';
import { diagnosticAt, type DiagnosticSeverity, type ExperimentDiagnostic, type LineMap } from './diagnostic';
import { diffusionProblems } from './diffusionChecks';
import { rangeOf } from './jsonLocation';
import { layerName } from './layerName';
import { pathFields } from './paths';
import { distillProblems } from './distillChecks';
import { pretrainProblems } from '../train/mlm/problems';
import { inferShapes } from './shapes';
import { rlProblems } from '../rl/experimentChecks';
import type { Experiment, ExtractEvalExperiment, LayerType, TrainExperiment } from './types';

/** Layer types that own trainable weights: the units freezing policies can freeze. */
export const WEIGHTED_LAYER_TYPES: ReadonlySet<LayerType> = new Set<LayerType>([
  'dense',
  'conv2d',
  'batchNormalization',
  'embedding',
  'transformerEncoder',
]);

/** Defaults the data loader applies, repeated here so the editor can check against them. */
export const DEFAULT_MAX_LENGTH = 64;
export const DEFAULT_VOCAB_SIZE = 20000;

interface Problem {
  pointer: string;
  message: string;
  severity?: DiagnosticSeverity;
  /** Underline the property name instead of the value (for large objects). */
  at?: 'value' | 'key';
  /** Underline this field instead of `pointer`'s (e.g. a layer's `type` for a layer problem). */
  underline?: string;
}

/** Which parts of the experiment the schema accepted: a check runs only on parts it accepted. */
export type SchemaValid = (...pointers: string[]) => boolean;

/**
 * How the files an experiment names are checked: `stat` looks at each (exists, is a file);
 * `none` touches no file and says so, for a workspace that is not trusted (its files may name
 * any path, and merely looking at a network path hands out the user's credentials).
 * Network (UNC) paths are never looked at either way, only warned about.
 */
export type FileChecks = 'stat' | 'none';

/**
 * Checks the schema cannot express: files that do not exist, the data's shape and header row
 * against the model, duplicate layer names, impossible shapes, text-model mismatches and
 * freezing options that name unknown layers. `baseDir` resolves relative paths; without it
 * files are not checked; `files` says whether they may be looked at. `valid` says which fields
 * passed the schema (all, for a schema-valid experiment): each check runs when the fields it
 * reads did, so a file with schema errors still gets every other problem reported at once.
 */
export function semanticDiagnostics(
  exp: Experiment,
  baseDir: string | undefined,
  tree: JsonNode | undefined,
  lines: LineMap,
  files: FileChecks = 'stat',
  valid: SchemaValid = () => true,
): ExperimentDiagnostic[] {
  const problems: Problem[] = [];
  if (valid('/kind')) {
    if (baseDir !== undefined) problems.push(...fileProblems(exp, baseDir, files, valid));
    if (exp.kind === 'train') {
      problems.push(...trainProblems(exp, valid));
      if (baseDir !== undefined && files === 'stat' && valid('/data', '/model/inputShape', '/model/from')) problems.push(...dataProblems(exp, baseDir));
    }
    if ((exp.kind === 'skills' || exp.kind === 'offline-gcrl') && valid('/env', '/evaluation', '/goals', '/skills', '/algo')) problems.push(...rlProblems(exp));
    if (exp.kind === 'extract-eval' && valid('/provider', '/model', '/modelFile', '/baseUrl', '/format', '/schema')) problems.push(...extractEvalProblems(exp));
    if (exp.kind === 'extract-train' && exp.data?.format === 'semeval8' && exp.schema !== undefined && valid('/data/format', '/schema')) {
      problems.push({ pointer: '/schema', message: 'format "semeval8" trains the causal model on the 19 SemEval labels; "schema" does not apply', at: 'key' });
    }
    if (exp.kind === 'distill' && valid('/arms', '/teacher')) problems.push(...distillProblems(exp, files === 'stat' ? baseDir : undefined));
    if (exp.kind === 'diffusion-policy' || exp.kind === 'diffusion') problems.push(...diffusionProblems(exp, valid));
  }
  return problems.map((p) => {
    const { start, end } = rangeOf(tree, p.underline ?? p.pointer, p.at ?? 'value');
    return diagnosticAt(lines, p.message, p.pointer, start, end, p.severity ?? 'error');
  });
}

function fileProblems(exp: Experiment, baseDir: string, files: FileChecks, valid: SchemaValid): Problem[] {
  const out: Problem[] = [];
  for (const f of pathFields(exp)) {
    if (!valid(f.pointer)) continue;
    if (isUncPath(f.value)) {
      out.push({
        pointer: f.pointer,
        severity: 'warning',
        message: `${f.what} is a network (UNC) path: Model Lab does not look at it before a run; on Windows, opening it connects to that host with your credentials`,
      });
      continue;
    }
    if (files === 'none') {
      out.push({ pointer: f.pointer, severity: 'info', message: `${f.what} not checked in Restricted Mode: Model Lab reads no file that an untrusted workspace names` });
      continue;
    }
    if (f.output) continue;
    const abs = path.resolve(baseDir, f.value);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(abs);
    } catch {
      stat = undefined;
    }
    if (!stat) out.push({ pointer: f.pointer, message: `${f.what} not found: ${abs}` });
    else if (!stat.isFile() && !(f.folderOk && stat.isDirectory())) out.push({ pointer: f.pointer, message: `${f.what} is not a file: ${abs}` });
  }
  return out;
}

/** Provider options that the chosen provider needs or does not take. */
function extractEvalProblems(exp: ExtractEvalExperiment): Problem[] {
  const provider = exp.provider ?? 'builtin';
  const out: Problem[] = [];
  if (provider === 'ollama' && exp.model === undefined) out.push({ pointer: '/provider', message: 'provider "ollama" needs "model" (e.g. "llama3.2")' });
  const only = (field: 'modelFile' | 'baseUrl' | 'model', providers: string[]) => {
    if (exp[field] !== undefined && !providers.includes(provider)) {
      out.push({ pointer: `/${field}`, message: `"${field}" applies to provider ${providers.map((p) => `"${p}"`).join(' or ')} only; this experiment uses "${provider}"`, at: 'key' });
    }
  };
  only('modelFile', ['builtin']);
  only('baseUrl', ['ollama', 'llamacpp']);
  only('model', ['ollama']);
  if (exp.format === 'semeval8') {
    if (provider !== 'builtin') out.push({ pointer: '/provider', message: 'format "semeval8" scores the built-in causal model; use provider "builtin"' });
    if (exp.schema !== undefined) out.push({ pointer: '/schema', message: 'format "semeval8" classifies the 19 SemEval labels; "schema" does not apply', at: 'key' });
  }
  return out;
}

/**
 * The data files' first rows against the experiment: a header row read as data (or data
 * skipped as a header), a label column that does not exist, feature columns or image size
 * against `inputShape`, a test file of another width. The loader checks the whole files.
 */
function dataProblems(exp: TrainExperiment, baseDir: string): Problem[] {
  const d = exp.data;
  // Network paths are never read (see fileProblems).
  const written = d.format === 'idx' ? [d.train.images, d.test?.images] : [d.train, d.test];
  if (written.some((f) => f !== undefined && isUncPath(f))) return [];
  let train: DataHead;
  let test: DataHead | undefined;
  if (d.format === 'csv') {
    train = inspectCsvHead(d, path.resolve(baseDir, d.train), '/data/train');
    test = d.test !== undefined ? inspectCsvHead(d, path.resolve(baseDir, d.test), '/data/test') : undefined;
  } else if (d.format === 'idx') {
    train = inspectIdxHead(path.resolve(baseDir, d.train.images));
    test = d.test !== undefined ? inspectIdxHead(path.resolve(baseDir, d.test.images)) : undefined;
  } else {
    return [];
  }
  const out: Problem[] = [...train.problems, ...(test?.problems ?? [])];
  const shape = train.exampleShape;
  const show = (s: number[]) => `[${s.join(', ')}]`;
  if (shape && test?.exampleShape && show(test.exampleShape) !== show(shape)) {
    out.push({ pointer: d.format === 'idx' ? '/data/test/images' : '/data/test', message: `the test data's examples have shape ${show(test.exampleShape)} (${test.source}), the training data's ${show(shape)}` });
  }
  const inputShape = exp.model.inputShape;
  if (shape && inputShape && exp.model.from === undefined && show(inputShape) !== show(shape)) {
    out.push({ pointer: '/model/inputShape', message: `inputShape must be ${show(shape)} for this data (${train.source}); got ${show(inputShape)}` });
  }
  return out;
}

function trainProblems(exp: TrainExperiment, valid: SchemaValid): Problem[] {
  const out: Problem[] = [];
  if (valid('/pretrain', '/model/layers', '/model/from', '/data')) out.push(...pretrainProblems(exp));
  // Each check runs when the fields it reads passed the schema.
  const layersValid = valid('/model/layers', '/model/from');
  const layers = layersValid ? exp.model.layers ?? [] : [];
  const fromSaved = layersValid && exp.model.from !== undefined;

  // Duplicate names. With `from`, default names depend on the saved model's layer count, so
  // only explicit names are compared there.
  const seen = new Map<string, number>();
  layers.forEach((l, i) => {
    if (fromSaved && l.name === undefined) return;
    const name = layerName(l, i);
    const first = seen.get(name);
    if (first !== undefined) {
      out.push({
        pointer: l.name !== undefined ? `/model/layers/${i}/name` : `/model/layers/${i}`,
        underline: l.name !== undefined ? undefined : `/model/layers/${i}/type`,
        message: `duplicate layer name "${name}" (layer ${first} has it too${l.name === undefined ? '; unnamed layers are called type_index' : ''})`,
      });
    } else {
      seen.set(name, i);
    }
  });

  // Shapes.
  if (!fromSaved && valid('/model/inputShape') && exp.model.inputShape && layers.length > 0) {
    const inferred = inferShapes(exp.model.inputShape, layers);
    if (inferred.problem) {
      const { pointer, layerIndex, message } = inferred.problem;
      const onLayer = pointer === `/model/layers/${layerIndex}`;
      out.push({ pointer, message, underline: onLayer ? `${pointer}/type` : undefined });
    } else if (inferred.output.length !== 1) {
      const last = layers.length - 1;
      out.push({
        pointer: `/model/layers/${last}`,
        underline: `/model/layers/${last}/type`,
        message: `the last layer must output one score per class (a 1-D shape), but it outputs [${inferred.output.join(', ')}]; end with flatten or globalAveragePooling1d and a dense layer`,
      });
    }
  }

  if (!valid('/data')) return [...out, ...freezingProblems(exp, valid)];
  // Text data: the input is [maxLength] token ids from a vocabulary of vocabSize.
  if (exp.data.format === 'jsonl') {
    const maxLength = exp.data.maxLength ?? DEFAULT_MAX_LENGTH;
    const vocabSize = exp.data.vocabSize ?? DEFAULT_VOCAB_SIZE;
    const shape = valid('/model/inputShape', '/model/from') ? exp.model.inputShape : undefined;
    if (!fromSaved && shape && (shape.length !== 1 || shape[0] !== maxLength)) {
      out.push({ pointer: '/model/inputShape', message: `text data gives examples of shape [${maxLength}] (data.maxLength), but inputShape is [${shape.join(', ')}]` });
    }
    layers.forEach((l, i) => {
      if (l.type === 'embedding' && l.inputDim !== undefined && l.inputDim < vocabSize) {
        out.push({
          pointer: `/model/layers/${i}/inputDim`,
          message: `inputDim ${l.inputDim} is smaller than data.vocabSize ${vocabSize}: token ids up to ${vocabSize - 1} would have no embedding (raise inputDim, lower vocabSize, or leave inputDim out to use the vocabulary size)`,
        });
      }
    });
  }
  if (exp.data.format === 'jsonl' && exp.data.scale !== undefined) {
    out.push({ pointer: '/data/scale', severity: 'warning', message: 'scale is ignored for text data (token ids are not scaled)' });
  }
  if (exp.data.test !== undefined && exp.data.testSplit !== undefined) {
    out.push({ pointer: '/data/testSplit', severity: 'warning', message: 'testSplit is ignored because a test file is given' });
  }

  out.push(...freezingProblems(exp, valid));
  return out;
}

function freezingProblems(exp: TrainExperiment, valid: SchemaValid): Problem[] {
  const f = exp.freezing;
  if (!f || !valid('/freezing', '/model/layers', '/model/from', '/training/epochs')) return [];
  const out: Problem[] = [];
  const layers = exp.model.layers ?? [];
  const fromSaved = exp.model.from !== undefined;
  const weighted = layers.map((l, i) => ({ l, i, name: layerName(l, i) })).filter((x) => WEIGHTED_LAYER_TYPES.has(x.l.type));

  if (f.policy === 'static' && !fromSaved) {
    (f.layers ?? []).forEach((name, k) => {
      const idx = layers.findIndex((l, i) => layerName(l, i) === name);
      if (idx < 0) {
        const names = [...new Set(weighted.map((w) => w.name))];
        out.push({ pointer: `/freezing/layers/${k}`, message: `unknown layer "${name}"; layers with weights: ${names.join(', ') || '(none)'}` });
      } else if (!WEIGHTED_LAYER_TYPES.has(layers[idx].type)) {
        out.push({ pointer: `/freezing/layers/${k}`, message: `layer "${name}" (${layers[idx].type}) has no weights to freeze; it is frozen with the weighted layer before it` });
      }
    });
    if (f.prefix !== undefined && f.prefix > weighted.length) {
      out.push({ pointer: '/freezing/prefix', message: `prefix ${f.prefix} is more than the ${weighted.length} layers with weights` });
    }
  }
  if (f.policy === 'static' && f.atEpoch !== undefined && f.atEpoch >= exp.training.epochs) {
    out.push({ pointer: '/freezing/atEpoch', severity: 'warning', message: `atEpoch ${f.atEpoch} is never reached: training has ${exp.training.epochs} epochs (0 to ${exp.training.epochs - 1})` });
  }
  const keep = f.keepTrainable ?? 1;
  if (f.policy !== 'none' && !fromSaved && weighted.length > 0 && keep >= weighted.length) {
    out.push({
      pointer: f.keepTrainable !== undefined ? '/freezing/keepTrainable' : '/freezing/policy',
      severity: 'warning',
      message: `no layer can freeze: the model has ${weighted.length} layer${weighted.length === 1 ? '' : 's'} with weights and keepTrainable is ${keep}`,
    });
  }
  return out;
}
