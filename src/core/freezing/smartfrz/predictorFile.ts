import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../util/atomicFile';
import { parseJson } from '../../util/jsonError';
import { AttentionPredictor, DEFAULT_PREDICTOR_CONFIG, type PredictorCalibration, type PredictorConfig } from './predictor';

/**
 * The predictor's weights file: one JSON document with the config, the weights as base64
 * little-endian float32 (exact and ~3x smaller than decimal text), and free-form metadata
 * about how it was trained (datasets, thresholds, held-out accuracy).
 */
export const PREDICTOR_FORMAT = 'model-lab/smartfrz-predictor';

export interface PredictorFile {
  format: typeof PREDICTOR_FORMAT;
  /** 2: step-spaced windows and rho-normalised features (version 1 used per-epoch windows). */
  version: 2;
  config: PredictorConfig;
  weights: Record<string, { w: string; b: string }>;
  /** Decision settings chosen on calibration pairs (optional; older files have none). */
  calibration?: Partial<PredictorCalibration>;
  training?: unknown;
}

/** Location of the shipped weights inside the package (`models/` ships in the .vsix). */
export const SHIPPED_PREDICTOR = path.join('models', 'smartfrz', 'predictor.json');

/**
 * The shipped weights file, found by walking up from this module to the folder holding
 * `package.json` — works from `src/` (tests, tsx) and from the bundled `dist/`.
 */
export function defaultPredictorPath(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, SHIPPED_PREDICTOR))) {
      return path.join(dir, SHIPPED_PREDICTOR);
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`the shipped SmartFRZ predictor (${SHIPPED_PREDICTOR}) was not found above ${from}`);
    dir = up;
  }
}

function toBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export async function predictorToFile(p: AttentionPredictor, training?: unknown): Promise<PredictorFile> {
  const weights: PredictorFile['weights'] = {};
  for (const [name, l] of Object.entries(await p.exportWeights())) weights[name] = { w: toBase64(l.w), b: toBase64(l.b) };
  return {
    format: PREDICTOR_FORMAT, version: 2, config: p.config, weights,
    ...(p.calibration === undefined ? {} : { calibration: p.calibration }),
    ...(training === undefined ? {} : { training }),
  };
}

/** Builds a predictor from a parsed weights file; throws a plain Error naming what is wrong. */
export function predictorFromFile(doc: unknown): AttentionPredictor {
  const f = doc as Partial<PredictorFile> | null;
  if (!f || typeof f !== 'object' || f.format !== PREDICTOR_FORMAT) throw new Error(`not a SmartFRZ predictor file (format must be "${PREDICTOR_FORMAT}")`);
  if (f.version !== 2) {
    throw new Error(`unsupported SmartFRZ predictor file version ${String(f.version)} (this Model Lab reads version 2; regenerate it with npm run smartfrz:build)`);
  }
  const config = { ...DEFAULT_PREDICTOR_CONFIG, ...f.config };
  const weights: Record<string, { w: Float32Array; b: Float32Array }> = {};
  for (const [name, l] of Object.entries(f.weights ?? {})) weights[name] = { w: fromBase64(l.w), b: fromBase64(l.b) };
  const p = new AttentionPredictor(config, weights);
  if (f.calibration !== undefined) p.calibration = readCalibration(f.calibration);
  return p;
}

/** The file's calibration, keeping only finite numbers (a bad value is an error naming it). */
function readCalibration(c: unknown): Partial<PredictorCalibration> {
  if (!c || typeof c !== 'object') throw new Error('calibration must be an object');
  const out: Partial<PredictorCalibration> = {};
  for (const key of ['threshold', 'accuracyTolerance', 'maxDirectedness', 'minLayerSimilarity', 'minConvSimilarity', 'probeEvery', 'stableReadings', 'maxDriftRatio', 'driftSpan', 'convDriftSteps', 'minOutputSimilarity'] as const) {
    const v = (c as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`calibration.${key} must be a number >= 0`);
    out[key] = v;
  }
  return out;
}

export function loadPredictor(file: string = defaultPredictorPath()): AttentionPredictor {
  return predictorFromFile(parseJson(fs.readFileSync(file, 'utf8')));
}

export async function savePredictor(p: AttentionPredictor, file: string, training?: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(await predictorToFile(p, training)) + '\n');
}
