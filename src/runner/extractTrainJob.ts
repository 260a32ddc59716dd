import * as path from 'node:path';
import type { ExtractTrainExperiment } from '../core/experiment/types';
import { runExtractTrain } from '../core/extract/builtin/extractTrainJob';
import { runCausalTrain } from '../core/extract/causal/causalTrainJob';
import { CAUSAL_TRAIN_DEFAULTS, type CausalTrainProgress } from '../core/extract/causal/trainCausal';
import type { TrainProgress } from '../core/extract/builtin/train';
import { UserError } from '../core/errors';
import { initBackend } from '../core/tensor/backend';
import { recordBackend } from './provenance';
import { ensureWritableFolder } from '../core/util/ensureFolder';
import type { JobSink, JobStart } from './job';
import type { ExtractTrainSummary } from './summary';
import { MODEL_DIR } from './runStore';
import { runUncheckpointedJob } from './uncheckpointedJob';

/**
 * An `extract-train` run: trains the built-in extractor on the experiment's corpus in this
 * process, reports each epoch as progress, and saves the model to `output` (default: the
 * run's `model/` folder). The summary holds the dev scores and the model file to use. A
 * `semeval8` corpus trains the causal model instead.
 */
export async function runExtractTrainJob(start: JobStart<ExtractTrainExperiment>, sink: JobSink, shouldStop: () => boolean): Promise<ExtractTrainSummary> {
  const exp = start.config.experiment;
  const backend = await initBackend('auto');
  sink.log('info', `backend: ${backend.name}`);
  await recordBackend(start.runDir, backend.name);
  if (exp.data.format === 'semeval8') return runCausalTrainJob(start, sink, shouldStop, backend.name);
  // Units of work: each tagger epoch of each ensemble member, then each relation epoch. Loading
  // filled in the schema's defaults, so the fields are there.
  const t = exp.training ?? {};
  const taggerUnits = (t.taggerEpochs ?? 7) * (t.taggerEnsemble ?? 3);
  const total = taggerUnits + (t.relationEpochs ?? 8);
  return runUncheckpointedJob<ExtractTrainSummary>(
    start, sink, shouldStop,
    async ({ runDir, signal, progress, elapsedSeconds }) => {
      const onProgress = (e: TrainProgress): void => {
        const message = progressText(e);
        if (e.phase === 'tagger') progress((((e.member ?? 1) - 1) * e.epochs + e.epoch) / total, message);
        else if (e.phase === 'relation') progress((taggerUnits + e.epoch) / total, message);
        else progress(e.phase === 'ensemble' ? taggerUnits / total : 1, message);
      };
      const outputDir = exp.output ?? path.join(runDir, MODEL_DIR);
      // Found out before training for minutes (a recursive mkdir would also spin forever under /proc).
      const unusable = await ensureWritableFolder(outputDir);
      if (unusable) throw new UserError(`cannot write the model to ${outputDir}: ${unusable}`, exp.output ? '/output' : undefined, start.config.experimentFile);
      const result = await runExtractTrain(exp, outputDir, { signal, onProgress });
      sink.log('info', `model saved: ${result.modelFile}`);
      return {
        fields: { kind: 'extract-train', backend: backend.name, modelFile: result.modelFile, dev: result.dev, trainSeconds: elapsedSeconds() },
        score: result.dev ? { name: 'dev entity F1', value: result.dev.entity.f1 } : undefined,
      };
    },
    (seconds) => ({ kind: 'extract-train', backend: backend.name, trainSeconds: seconds }),
  );
}

/**
 * `data.format: "semeval8"`: trains the causal model (`core/extract/causal/causalTrainJob.ts`);
 * progress is the classifier's epochs, then the nominal tagger's, then the rationale selector's.
 */
async function runCausalTrainJob(start: JobStart<ExtractTrainExperiment>, sink: JobSink, shouldStop: () => boolean, backend: string): Promise<ExtractTrainSummary> {
  const exp = start.config.experiment;
  const t = exp.training ?? {};
  const classifierEpochs = t.relationEpochs ?? CAUSAL_TRAIN_DEFAULTS.classifierEpochs;
  const taggerEpochs = t.taggerEpochs ?? CAUSAL_TRAIN_DEFAULTS.taggerEpochs;
  const total = classifierEpochs + taggerEpochs + CAUSAL_TRAIN_DEFAULTS.rationaleEpochs;
  return runUncheckpointedJob<ExtractTrainSummary>(
    start, sink, shouldStop,
    async ({ runDir, signal, progress, elapsedSeconds }) => {
      const pct = (x: number | undefined, what: string) => (x === undefined ? '' : ` · dev ${what} ${(x * 100).toFixed(1)}`);
      const onProgress = (e: CausalTrainProgress): void => {
        if (e.phase === 'classifier') progress(e.epoch / total, `relation classifier epoch ${e.epoch}/${e.epochs} · loss ${e.loss.toFixed(3)}${pct(e.devMacroF1, 'macro-F1')}`);
        else if (e.phase === 'nominals' && e.progress.phase === 'tagger') {
          progress((classifierEpochs + e.progress.epoch) / total, `nominal tagger epoch ${e.progress.epoch}/${e.progress.epochs}${pct(e.progress.devEntityF1, 'F1')}`);
        } else if (e.phase === 'rationale') {
          progress((classifierEpochs + taggerEpochs + e.epoch) / total, `rationale selector epoch ${e.epoch}/${e.epochs} · ${e.selected.toFixed(1)} words selected`);
        } else if (e.phase === 'threshold') progress(1, `Cause-Effect threshold ${e.threshold}${pct(e.devEndToEndF1, 'end-to-end F1')}`);
      };
      const outputDir = exp.output ?? path.join(runDir, MODEL_DIR);
      const result = await runCausalTrain(exp, outputDir, { signal, onProgress });
      sink.log('info', `model saved: ${result.modelFile}`);
      return {
        fields: { kind: 'extract-train', backend, modelFile: result.modelFile, causal: result.dev, trainSeconds: elapsedSeconds() },
        score: result.dev ? { name: 'dev official macro-F1', value: result.dev.macroF1 } : undefined,
      };
    },
    (seconds) => ({ kind: 'extract-train', backend, trainSeconds: seconds }),
  );
}

function progressText(e: TrainProgress): string {
  const pct = (x: number | undefined) => (x === undefined ? '' : ` · dev ${(x * 100).toFixed(1)}`);
  switch (e.phase) {
    case 'tagger':
      return `tagger${e.member ? ` ${e.member}` : ''} epoch ${e.epoch}/${e.epochs} · loss ${e.loss.toFixed(3)}${pct(e.devEntityF1)}${e.devEntityF1 === undefined ? '' : ' entity F1'}`;
    case 'ensemble':
      return `ensemble of ${e.members}${pct(e.devEntityF1)} entity F1`;
    case 'relation':
      return `relations epoch ${e.epoch}/${e.epochs} · loss ${e.loss.toFixed(3)}${pct(e.devRelationF1)}${e.devRelationF1 === undefined ? '' : ' relation F1'}`;
    case 'threshold':
      return `relation threshold ${e.threshold}${pct(e.devRelationF1)} relation F1`;
  }
}
