import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomicFile';
import { parseJson } from '../util/jsonError';
// Registers the custom layer class, so saved models that use it deserialise.
import './transformerEncoder';

/** Name of the single weights file `saveModel` writes next to `model.json`. */
export const WEIGHTS_FILE = 'weights.bin';

/**
 * Save a model in the TensorFlow.js layers format (`model.json` + one weights file) with
 * plain `fs` (the `file://` handler needs tfjs-node, which is optional). Weights are written
 * before `model.json`, each atomically, so a reader never sees a `model.json` whose weights
 * are missing or torn.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = joinWeightData(artifacts.weightData);
      await writeFileAtomic(path.join(dir, WEIGHTS_FILE), weightData);
      await writeJsonAtomic(path.join(dir, 'model.json'), {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Load a model saved by `saveModel` (or any TF.js layers model: `model.json` + weight shards). */
export async function loadModel(modelJsonPath: string): Promise<tf.LayersModel> {
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    json = parseJson(await fs.readFile(modelJsonPath, 'utf8')) as typeof json;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'file not found' : err.message;
    throw new UserError(`cannot read saved model '${modelJsonPath}': ${why}`, '/model/from', modelJsonPath);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UserError('not a TensorFlow.js layers model (model.json needs modelTopology and weightsManifest)', '/model/from', modelJsonPath);
  }
  const dir = path.dirname(modelJsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      try {
        buffers.push(await fs.readFile(path.join(dir, p)));
      } catch {
        throw new UserError(`weights file '${p}' of the saved model is missing`, '/model/from', modelJsonPath);
      }
    }
  }
  const weightData = joinWeightData(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer as ArrayBuffer }),
    );
  } catch (e) {
    throw new UserError(`cannot load the saved model: ${(e as Error).message}`, '/model/from', modelJsonPath);
  }
}

function joinWeightData(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}
