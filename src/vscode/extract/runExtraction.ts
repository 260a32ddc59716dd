import { UserError } from '../../core/errors';
import type { ProviderConfig } from '../../core/extract/providers';
import type { ExtractionSchema } from '../../core/extract/schema';
import type { ExtractionResult } from '../../core/extract/types';
import type { JobProcess } from '../../runner/jobProcess';
import type { ExtractionSettings } from './extractionSettings';
import { isExtractionResult } from '../../panels/extract/messages';

export interface RunExtractionOptions {
  /** The runner process extraction jobs go to. */
  jobs: JobProcess;
  settings: ExtractionSettings;
  text: string;
  schema: ExtractionSchema;
  /** From SecretStorage; sent only to the configured OpenAI-compatible endpoint. */
  apiKey?: string;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/**
 * Runs the configured provider as a job in a runner process (`runner/jobProcess.ts`): the
 * built-in model (TensorFlow.js, seconds of synchronous work on long selections) and remote
 * providers alike (parsing and span matching of a hostile endpoint's answer must not block the
 * extension host), so any selection size crosses over IPC, never a command line. The result is
 * checked before it reaches the panel.
 */
export async function runExtraction(o: RunExtractionOptions): Promise<ExtractionResult> {
  const provider = providerConfig(o.settings, o.apiKey);
  const result = await o.jobs.run({ kind: 'extract', text: o.text, schema: o.schema, provider }, {
    signal: o.signal,
    onProgress: (p) => o.onProgress?.(p.message),
  });
  if (!isExtractionResult(result, o.text)) throw new Error(`the ${provider.kind} provider returned a malformed result`);
  return result;
}

/** The provider the settings describe; a missing setting is a UserError naming it. */
export function providerConfig(s: ExtractionSettings, apiKey: string | undefined): ProviderConfig {
  const common = { baseUrl: s.baseUrl, stream: s.stream, timeoutMs: s.timeoutMs };
  switch (s.provider) {
    case 'builtin':
      return { kind: 'builtin', modelFile: s.builtinModel || undefined };
    case 'openai':
      if (!s.model) throw new UserError('set "modelLab.extraction.model" to the model name of your OpenAI-compatible endpoint', '/modelLab.extraction.model');
      return { kind: 'openai', ...common, model: s.model, apiKey };
    case 'ollama':
      if (!s.model) throw new UserError('set "modelLab.extraction.model" to an Ollama model name (e.g. llama3.2)', '/modelLab.extraction.model');
      return { kind: 'ollama', ...common, model: s.model };
    case 'llamacpp':
      return { kind: 'llamacpp', ...common };
  }
}
