import { isExportRequest, type ExportRequest } from './export';
import { isRendererError, isShortString } from './validators';

/**
 * Messages shared by the contracts of the panels of runs (diffusion, distill, sweep, skills,
 * gcrl, whose one host `src/vscode/webview/runFolderPanel.ts` answers these; and the timeline): a
 * contract's `WebviewToHost` is `CommonWebviewToHost` (and `RunAction` if its webview has run
 * buttons) plus its own messages, and its validator checks those with these guards.
 */

/** The page loaded; an error inside the webview, for the log; a chart or data to save. */
export type CommonWebviewToHost = { type: 'ready' } | { type: 'error'; message: string } | ExportRequest;

/** A button on one of the runs shown, by run id (the host looks the id up among its folders: never a path). */
export interface RunAction {
  type: 'cancelRun' | 'openExperiment' | 'revealRun';
  runId: string;
}

/** A one-line notice above the panel's content. */
export interface Notice {
  type: 'notice';
  level: 'info' | 'warning' | 'error';
  text: string;
}

export function isCommonWebviewToHost(m: Record<string, unknown>): boolean {
  switch (m.type) {
    case 'ready':
      return true;
    case 'error':
      return isRendererError(m);
    case 'export':
      return isExportRequest(m);
    default:
      return false;
  }
}

export function isRunAction(m: Record<string, unknown>): boolean {
  return (m.type === 'cancelRun' || m.type === 'openExperiment' || m.type === 'revealRun') && isShortString(m.runId);
}
