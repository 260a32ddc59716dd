/**
 * The provider kinds and the remote providers' default base URLs, so the CLI, the runner and the
 * extension settings reach the same server. Its own module with no imports: the extension host
 * bundle uses it without pulling in the built-in model (TensorFlow.js) through `index.ts`.
 */
export const PROVIDER_KINDS = ['builtin', 'openai', 'ollama', 'llamacpp'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Where each remote provider is reached when no base URL is configured. */
export const DEFAULT_BASE_URLS: Record<Exclude<ProviderKind, 'builtin'>, string> = {
  openai: 'https://api.openai.com/v1',
  ollama: 'http://127.0.0.1:11434',
  llamacpp: 'http://127.0.0.1:8080',
};
