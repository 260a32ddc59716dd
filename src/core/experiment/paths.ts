import * as path from 'node:path';
import type { DataConfig, Experiment } from './types';

/** A file path field of an experiment: where it is, and its value as written. */
export interface PathField {
  pointer: string;
  value: string;
  /** What the file is, for messages ("data file", "saved model"). */
  what: string;
  /** An output folder: resolved like the others, but it need not exist yet. */
  output?: boolean;
  /** A file or a folder (a distill teacher may be a run folder). */
  folderOk?: boolean;
}

/**
 * Every field of an experiment that names a file or output folder (relative to the experiment
 * file). Tolerates an experiment the schema rejected (missing objects, wrong types): the
 * editor checks its files too.
 */
export function pathFields(exp: Experiment): PathField[] {
  const out: PathField[] = [];
  const add = (pointer: string, value: unknown, what: string, output?: boolean): void => {
    if (typeof value === 'string' && value !== '') out.push({ pointer, value, what, ...(output ? { output } : {}) });
  };
  const addData = (d: Partial<DataConfig>): void => {
    if (d.format === 'idx') {
      for (const split of ['train', 'test'] as const) {
        const pair = d[split];
        if (typeof pair === 'object' && pair !== null) {
          add(`/data/${split}/images`, pair.images, 'IDX image file');
          add(`/data/${split}/labels`, pair.labels, 'IDX label file');
        }
      }
    } else {
      add('/data/train', d.train, 'data file');
      add('/data/test', d.test, 'data file');
    }
  };
  switch (exp.kind) {
    case 'train': {
      addData(exp.data ?? {});
      add('/model/from', exp.model?.from, 'saved model');
      if (exp.freezing?.policy === 'smartfrz') add('/freezing/predictor', exp.freezing.predictor, 'predictor weights file');
      break;
    }
    case 'reward-compare':
      add('/rewards', exp.rewards, 'rewards file');
      break;
    case 'extract-train':
      add('/data/train', exp.data?.train, 'corpus file');
      add('/data/dev', exp.data?.dev, 'corpus file');
      add('/schema', exp.schema, 'extraction schema');
      add('/output', exp.output, 'output folder', true);
      break;
    case 'distill':
      if (typeof exp.teacher === 'string' && exp.teacher !== '') out.push({ pointer: '/teacher', value: exp.teacher, what: 'teacher', folderOk: true });
      if (exp.data) addData(exp.data);
      add('/general/teacher', exp.general?.teacher, 'pretrained encoder');
      break;
    case 'extract-eval':
      add('/data', exp.data, 'corpus file');
      add('/schema', exp.schema, 'extraction schema');
      add('/modelFile', exp.modelFile, 'extractor model');
      break;
    case 'offline-gcrl':
      if ('file' in exp.dataset) add('/dataset/file', exp.dataset.file, 'dataset file');
      break;
    case 'diffusion-policy': {
      const d = exp.dataset as { file?: unknown } | undefined;
      add('/dataset/file', d?.file, 'transitions file');
      break;
    }
    case 'diffusion': {
      const d = exp.data as { train?: { images?: unknown; labels?: unknown } } | undefined;
      if (typeof d?.train === 'object' && d.train !== null) {
        add('/data/train/images', d.train.images, 'IDX image file');
        add('/data/train/labels', d.train.labels, 'IDX label file');
      }
      break;
    }
  }
  return out;
}

/**
 * A deep copy of `exp` with every path field made absolute against `baseDir` (the
 * experiment file's folder). Absolute paths are kept as they are.
 */
export function resolveExperimentPaths<T extends Experiment>(exp: T, baseDir: string): T {
  const copy = structuredClone(exp);
  for (const f of pathFields(exp)) {
    setAtPointer(copy, f.pointer, path.resolve(baseDir, f.value));
  }
  return copy;
}

function setAtPointer(root: unknown, pointer: string, value: unknown): void {
  const parts = pointer.split('/').slice(1);
  let node = root as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
}
