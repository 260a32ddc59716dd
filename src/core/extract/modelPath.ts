import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The shipped built-in model, `models/extractor/extractor.json` in the package root. The root
 * is found by walking up from this file to the folder holding `package.json`, which works both
 * from sources (`src/core/extract/`) and from the bundle (`dist/`).
 */
export function defaultExtractorModelFile(from: string = __dirname): string {
  return shippedModelFile(from, 'extractor', 'extractor.json');
}

/** The shipped causal model (`models/causal/causal.json`), found the same way. */
export function defaultCausalModelFile(from: string = __dirname): string {
  return shippedModelFile(from, 'causal', 'causal.json');
}

function shippedModelFile(from: string, folder: string, file: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'models', folder, file);
    const parent = path.dirname(dir);
    if (parent === dir) return path.join(from, 'models', folder, file);
    dir = parent;
  }
}
