import type { ExtractEvalExperiment } from '../core/experiment/types';
import { evaluateCausalModelFile } from '../core/extract/causal/evaluateCausal';
import { loadConll04 } from '../core/extract/conll04';
import { evaluateProvider } from '../core/extract/evaluateProvider';
import { createProvider, DEFAULT_BASE_URLS, type ProviderConfig } from '../core/extract/providers';
import { defaultCausalModelFile } from '../core/extract/modelPath';
import { CONLL04_SCHEMA, loadExtractionSchema } from '../core/extract/schema';
import { loadSemEval8 } from '../core/extract/semeval8';
import { initBackend } from '../core/tensor/backend';
import { recordBackend } from './provenance';
import type { JobSink, JobStart } from './job';
import type { ExtractEvalSummary } from './summary';
import { runUncheckpointedJob } from './uncheckpointedJob';

/**
 * An `extract-eval` run: gives each sentence of the annotated corpus to the provider as text
 * and scores entities and strict relations (`core/extract/evaluateProvider.ts`), as
 * `model-lab extract eval` does. Remote providers are only those the experiment names.
 * Format `semeval8` scores the built-in causal model on SemEval-2010 Task 8 sentences instead
 * (`core/extract/causal/evaluateCausal.ts`; the editor refused other providers and a schema).
 */
export async function runExtractEvalJob(start: JobStart<ExtractEvalExperiment>, sink: JobSink, shouldStop: () => boolean): Promise<ExtractEvalSummary> {
  const exp = start.config.experiment;
  const config = providerConfig(exp);
  if (config.kind === 'builtin') await recordBackend(start.runDir, (await initBackend('auto')).name);
  return runUncheckpointedJob<ExtractEvalSummary>(
    start, sink, shouldStop,
    async ({ signal, progress, elapsedSeconds }) => {
      if (exp.format === 'semeval8') {
        const sentences = (await loadSemEval8(exp.data)).slice(0, exp.limit);
        progress(0, `${sentences.length} sentences`);
        const causal = await evaluateCausalModelFile(exp.modelFile ?? defaultCausalModelFile(), sentences);
        sink.log('info', `official macro-F1 ${(causal.macroF1 * 100).toFixed(2)}, Cause-Effect F1 ${(causal.causal.f1 * 100).toFixed(2)}, ` +
          `rationale comprehensiveness ${causal.rationale.comprehensiveness.toFixed(3)} (random ${causal.rationale.randomComprehensiveness.toFixed(3)}) on ${causal.sentences} sentences`);
        return {
          fields: { kind: 'extract-eval', provider: 'builtin', causal, seconds: elapsedSeconds() },
          score: { name: 'official macro-F1', value: causal.macroF1 },
        };
      }
      const sentences = (await loadConll04(exp.data)).slice(0, exp.limit);
      const schema = exp.schema ? await loadExtractionSchema(exp.schema) : CONLL04_SCHEMA;
      const provider = await createProvider(config);
      try {
        const scores = await evaluateProvider(provider, sentences, schema, {
          signal,
          onSentence: (done, total) => {
            if (done % 10 === 0 || done === total) progress(done / total, `${done}/${total} sentences`);
          },
        });
        sink.log('info', `entity F1 ${(scores.entity.f1 * 100).toFixed(2)}, relation F1 ${(scores.relation.f1 * 100).toFixed(2)} on ${scores.sentences} sentences`);
        return {
          fields: { kind: 'extract-eval', provider: provider.name, scores, seconds: elapsedSeconds() },
          score: { name: 'entity F1', value: scores.entity.f1 },
        };
      } finally {
        provider.dispose?.();
      }
    },
    (seconds) => ({ kind: 'extract-eval', provider: config.kind, seconds }),
  );
}

function providerConfig(exp: ExtractEvalExperiment): ProviderConfig {
  switch (exp.provider ?? 'builtin') {
    case 'builtin':
      return { kind: 'builtin', modelFile: exp.modelFile };
    case 'ollama':
      return { kind: 'ollama', baseUrl: exp.baseUrl ?? DEFAULT_BASE_URLS.ollama, model: exp.model ?? '' };
    case 'llamacpp':
      return { kind: 'llamacpp', baseUrl: exp.baseUrl ?? DEFAULT_BASE_URLS.llamacpp };
  }
}
