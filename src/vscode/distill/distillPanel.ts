import * as path from 'node:path';
import { isDistillPanelState, isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../panels/distill/messages';
import { distillView, type DistillView } from '../../panels/distill/viewModel';
import { readEvents, readRunRecord } from '../../runner/runStore';
import { postFolderView, type RunFolderPanelKind } from '../webview/runFolderPanel';

/**
 * The distillation panel for one `distill` run: loss lanes per stage, the arms next to the
 * teacher, the synthetic gallery and the batch-norm match of data-free arms. Everything comes
 * from the run folder (`events.jsonl`), so a live run, a reattached one and a finished one show
 * the same. Hosted by `RunFolderPanel` (the kind's result view: Run Experiment, Show Results and
 * the Runs view open it); restored after a reload from the run folder the webview persisted.
 */
export const DISTILL_PANEL: RunFolderPanelKind<WebviewToHost, HostToWebview> = {
  viewType: 'modelLab.distill',
  title: 'Distillation',
  bundle: 'distill',
  label: 'distill panel',
  isMessage: isWebviewToHost,
  restore: (s) => (isDistillPanelState(s) && path.isAbsolute(s.runDir) ? [s.runDir] : undefined),
  results: ['distill'],
  update: (panel) => postFolderView(panel, 'a distill run folder', loadDistillView, (v) => `Distillation: ${v.experiment}`),
};

/** A distill run's view from its folder (the job writes `events.jsonl` as it goes). */
export async function loadDistillView(runDir: string): Promise<DistillView | undefined> {
  const record = await readRunRecord(runDir);
  if (!record || record.kind !== 'distill') return undefined;
  const events = await readEvents(runDir);
  return distillView({ runId: record.runId, runDir: path.resolve(runDir), experiment: record.experiment, status: record.status, ...(record.message ? { message: record.message } : {}) }, events);
}
