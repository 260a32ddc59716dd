import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultRunsRoot } from '../runner/runStore';

/** The `modelLab.*` settings, read fresh each time so changes apply without a reload. */
export type AnnotationMode = 'inlayHints' | 'codeLens' | 'off';
export type BackendSetting = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

function section(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('modelLab', scope);
}

/**
 * Where runs of `experimentFile` are stored: `modelLab.runsRoot` (absolute, or relative to
 * the file's workspace folder), else `.model-lab/runs` next to the file (the CLI's default, so
 * runs started from a terminal show up too).
 */
export function runsRootFor(experimentFile: string): string {
  const uri = vscode.Uri.file(experimentFile);
  const configured = (section(uri).get<string>('runsRoot') ?? '').trim();
  if (!configured) return defaultRunsRoot(experimentFile);
  if (path.isAbsolute(configured)) return configured;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return path.resolve(folder ? folder.uri.fsPath : path.dirname(experimentFile), configured);
}

export function backendSetting(): BackendSetting {
  const v = section().get<string>('backend', 'auto');
  return v === 'tensorflow' || v === 'wasm' || v === 'cpu' ? v : 'auto';
}

/** `modelLab.threads`: threads for a run's training kernels; undefined (setting 0) for every core. */
export function threadsSetting(): number | undefined {
  const v = section().get<number>('threads', 0);
  return Number.isInteger(v) && v >= 1 ? v : undefined;
}

export function annotationMode(): AnnotationMode {
  const v = section().get<string>('inlineAnnotations', 'inlayHints');
  return v === 'codeLens' || v === 'off' ? v : 'inlayHints';
}

export function showNotificationProgress(): boolean {
  return section().get<boolean>('showProgressNotification', true);
}

export const EXPERIMENT_GLOB = '**/*.experiment.json';

export function isExperimentFile(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return !!uri && uri.scheme === 'file' && uri.path.endsWith('.experiment.json');
}

export function openTimelineOnRun(): boolean {
  return section().get<boolean>('openTimelineOnRun', true);
}
