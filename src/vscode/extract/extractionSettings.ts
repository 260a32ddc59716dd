import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_BASE_URLS, PROVIDER_KINDS, type ProviderKind } from '../../core/extract/providers/kinds';

/**
 * The `modelLab.extraction.*` settings, read fresh each time. `provider`, `baseUrl` and `model`
 * have `machine` scope (package.json): VS Code ignores them in workspace and folder settings,
 * trusted or not, so no workspace can send the user's text to a server of its choosing or pick
 * the server an API key goes to (keys are also bound to the origin they were entered for, see
 * `apiKeys.ts`). They are `restrictedConfigurations` too.
 */
export interface ExtractionSettings {
  provider: ProviderKind;
  baseUrl: string;
  model: string;
  /** Schema file from the setting (absolute, or relative to the first workspace folder), or ''. */
  schema: string;
  stream: boolean;
  timeoutMs: number;
  /** The built-in provider's model (`extractor.json` of an `extract-train` run), absolute, or '' for the shipped one. */
  builtinModel: string;
}

export function extractionSettings(): ExtractionSettings {
  const c = vscode.workspace.getConfiguration('modelLab.extraction');
  const kind = c.get<string>('provider', 'builtin');
  const provider = (PROVIDER_KINDS as readonly string[]).includes(kind) ? (kind as ProviderKind) : 'builtin';
  const configuredUrl = (c.get<string>('baseUrl') ?? '').trim();
  return {
    provider,
    baseUrl: configuredUrl || (provider === 'builtin' ? '' : DEFAULT_BASE_URLS[provider]),
    model: (c.get<string>('model') ?? '').trim(),
    schema: (c.get<string>('schema') ?? '').trim(),
    stream: c.get<boolean>('stream', true),
    timeoutMs: Math.max(1000, (c.get<number>('timeoutSeconds') ?? 60) * 1000),
    builtinModel: resolveInWorkspace((c.get<string>('builtinModel') ?? '').trim()),
  };
}

/** A path from a setting: absolute as is, relative to the first workspace folder otherwise. */
function resolveInWorkspace(p: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return p === '' || path.isAbsolute(p) || !folder ? p : path.join(folder, p);
}
