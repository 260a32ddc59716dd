import type { ExtractionSchema } from '../../core/extract/schema';
import { LlamaCppProvider } from '../../core/extract/providers/llamacpp';
import { OllamaProvider } from '../../core/extract/providers/ollama';
import { OpenAIProvider } from '../../core/extract/providers/openai';
import type { ExtractionProgress, ExtractionProvider, ExtractionResult } from '../../core/extract/types';
import { UserError } from '../../core/errors';
import { runBuiltinExtraction } from './builtinProcess';
import type { ExtractionSettings } from './extractionSettings';

export interface RunExtractionOptions {
  settings: ExtractionSettings;
  text: string;
  schema: ExtractionSchema;
  schemaFile?: string;
  /** `dist/cli.js` (the built-in model runs there, in a child process). */
  cliScript: string;
  /** From SecretStorage; sent only to the configured OpenAI-compatible endpoint. */
  apiKey?: string;
  signal?: AbortSignal;
  onProgress?: (p: ExtractionProgress) => void;
}

/**
 * Runs the configured provider. The built-in model runs in a child process (see
 * `builtinProcess.ts`); remote providers run here, since they only wait on the network
 * (async `fetch`), and stream their progress.
 */
export async function runExtraction(o: RunExtractionOptions): Promise<ExtractionResult> {
  const s = o.settings;
  if (s.provider === 'builtin') {
    return runBuiltinExtraction({ cliScript: o.cliScript, text: o.text, schemaFile: o.schemaFile, modelFile: s.builtinModel || undefined, signal: o.signal });
  }
  return remoteProvider(s, o.apiKey).extract(o.text, o.schema, { signal: o.signal, onProgress: o.onProgress });
}

export function remoteProvider(s: ExtractionSettings, apiKey: string | undefined): ExtractionProvider {
  const common = { baseUrl: s.baseUrl, stream: s.stream, timeoutMs: s.timeoutMs };
  switch (s.provider) {
    case 'openai':
      if (!s.model) throw new UserError('set "modelLab.extraction.model" to the model name of your OpenAI-compatible endpoint', '/modelLab.extraction.model');
      return new OpenAIProvider({ ...common, model: s.model, apiKey });
    case 'ollama':
      if (!s.model) throw new UserError('set "modelLab.extraction.model" to an Ollama model name (e.g. llama3.2)', '/modelLab.extraction.model');
      return new OllamaProvider({ ...common, model: s.model });
    case 'llamacpp':
      return new LlamaCppProvider(common);
    default:
      throw new UserError(`not a remote provider: ${s.provider}`);
  }
}
