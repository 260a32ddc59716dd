import { UserError } from '../errors';
import type { DataConfig } from '../experiment/types';
import { loadData } from '../data/load';
import type { LoadedData, Split } from '../data/types';

/**
 * The data of a distill run. With only data-free arms the training file is never opened: the
 * test file alone is read (as both splits of the loader, so the class mapping is its own), and
 * data without a separate test file is an error rather than a silent read of the training file.
 * Text data needs its training file for the vocabulary, so data-free arms do not take text.
 */
export type DistillData = Omit<LoadedData, 'train'> & { train?: Split };

export async function loadDistillData(cfg: DataConfig, opts: { seed: number; trainingSplit: boolean; pointer: string }): Promise<DistillData> {
  if (opts.trainingSplit) return loadData(cfg, { seed: opts.seed });
  if (cfg.format === 'jsonl') {
    throw new UserError('data-free arms cannot distil a text model: its vocabulary comes from the training text, which they never read', opts.pointer);
  }
  if (cfg.test === undefined) {
    throw new UserError(
      'data-free arms never read the training split, so the data needs a separate test file (data.test) to evaluate on; this data holds its test split out of the training file',
      opts.pointer,
    );
  }
  const testOnly = { ...cfg, train: cfg.test, limit: undefined } as DataConfig;
  const { train: _sameAsTest, ...rest } = await loadData(testOnly, { seed: opts.seed });
  return rest;
}
