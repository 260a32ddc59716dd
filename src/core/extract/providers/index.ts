import { UserError } from '../../errors';
import type { ExtractionProvider } from '../types';
import { BuiltinProvider } from './builtin';
import { LlamaCppProvider } from './llamacpp';
import { OllamaProvider } from './ollama';
import { OpenAIProvider } from './openai';
import { PROVIDER_KINDS } from './kinds';

/**
 * Provider configuration as the CLI and the extension settings express it. The API key is
 * passed in by the caller (the extension reads SecretStorage, the CLI an environment
 * variable); it is never part of a file or a log.
 */
export type ProviderConfig =
  | { kind: 'builtin'; modelFile?: string }
  | { kind: 'openai'; baseUrl: string; model: string; apiKey?: string; stream?: boolean; structuredOutput?: boolean; timeoutMs?: number; retries?: number }
  | { kind: 'ollama'; baseUrl: string; model: string; stream?: boolean; timeoutMs?: number; retries?: number }
  | { kind: 'llamacpp'; baseUrl: string; stream?: boolean; timeoutMs?: number; retries?: number };

export { DEFAULT_BASE_URLS, PROVIDER_KINDS, type ProviderKind } from './kinds';

export async function createProvider(config: ProviderConfig): Promise<ExtractionProvider & { dispose?: () => void }> {
  switch (config.kind) {
    case 'builtin':
      return BuiltinProvider.create({ modelFile: config.modelFile });
    case 'openai':
      return new OpenAIProvider(config);
    case 'ollama':
      return new OllamaProvider(config);
    case 'llamacpp':
      return new LlamaCppProvider(config);
    default:
      throw new UserError(`unknown provider "${(config as { kind: string }).kind}" (expected ${PROVIDER_KINDS.join(', ')})`, '/provider');
  }
}
