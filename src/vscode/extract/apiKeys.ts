import type * as vscode from 'vscode';
import { UserError } from '../../core/errors';
import { displayUrl } from '../../core/extract/providers/http';
import { DEFAULT_BASE_URLS } from '../../core/extract/providers/kinds';

/**
 * API keys of OpenAI-compatible endpoints, in VS Code's SecretStorage, each bound to the origin
 * (scheme, host and port) it was entered for: a key is only ever sent to that origin. Whoever
 * changes the endpoint setting later gets no key with it, so a changed (or hostile) base URL
 * cannot collect the key entered for another server.
 */
export type SecretStore = Pick<vscode.SecretStorage, 'get' | 'store' | 'delete'>;

/** Where keys were kept before they were bound to an origin (one key for any endpoint). */
export const LEGACY_API_KEY_SECRET = 'modelLab.extraction.apiKey';

/** The origin a base URL's key belongs to, e.g. `https://api.openai.com`. */
export function endpointOrigin(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new UserError(`the extraction base URL is not a valid URL: ${displayUrl(baseUrl)}`, '/modelLab.extraction.baseUrl');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`the extraction base URL must start with http:// or https:// (got ${displayUrl(url)})`, '/modelLab.extraction.baseUrl');
  return url.origin;
}

/** SecretStorage name of the key entered for `origin`. */
export function apiKeySecretName(origin: string): string {
  return `${LEGACY_API_KEY_SECRET}:${origin}`;
}

export class ApiKeys {
  constructor(private readonly secrets: SecretStore) {}

  /** The key entered for the origin of `baseUrl`, if any. */
  get(baseUrl: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(apiKeySecretName(endpointOrigin(baseUrl))));
  }

  async set(baseUrl: string, key: string): Promise<void> {
    await this.secrets.store(apiKeySecretName(endpointOrigin(baseUrl)), key);
  }

  async delete(baseUrl: string): Promise<void> {
    await this.secrets.delete(apiKeySecretName(endpointOrigin(baseUrl)));
  }

  /**
   * A key saved before keys were bound to origins is bound to the endpoint of the user's own
   * settings (else OpenAI's), where it was most likely entered, and the unbound copy is removed.
   */
  async migrate(userBaseUrl: string | undefined): Promise<void> {
    const legacy = await this.secrets.get(LEGACY_API_KEY_SECRET);
    if (legacy === undefined) return;
    let target = DEFAULT_BASE_URLS.openai;
    try {
      if (userBaseUrl?.trim()) target = new URL(endpointOrigin(userBaseUrl)).href;
    } catch {
      // An invalid URL in the settings: keep OpenAI's.
    }
    if ((await this.get(target)) === undefined) await this.set(target, legacy);
    await this.secrets.delete(LEGACY_API_KEY_SECRET);
  }
}
