import type { RunEvent } from '../../core/train/events';
import { formatPercent, formatSaving } from '../../panels/shared/format';

/**
 * The one-line progress of a live run, for the notification and the status bar:
 * "epoch 3/20 · 91.2% · loss 0.312 · 2 frozen · 31% backward saved", or for other kinds
 * "40% · tagger 1 epoch 4/5 · …". Pure, for tests.
 */
export interface RunProgress {
  epochsDone: number;
  epochs: number;
  accuracy?: number;
  loss?: number;
  frozen: number;
  savedBackward: number;
  /** Runs of other kinds: the latest `progress` event. */
  fraction?: number;
  message?: string;
}

export function runProgress(events: readonly RunEvent[]): RunProgress {
  const tracker = new ProgressTracker();
  for (const e of events) tracker.add(e);
  return tracker.progress;
}

/**
 * A live run's progress, event by event: a small model runs tens of epochs a second, and the
 * status bar, log and CodeLens read the progress on each one, so it is kept up to date rather
 * than folded again from the whole history (which grows without bound while the run lasts).
 */
export class ProgressTracker {
  readonly progress: RunProgress = { epochsDone: 0, epochs: 0, frozen: 0, savedBackward: 0 };
  private readonly frozenLayers = new Set<string>();

  add(e: RunEvent): void {
    const p = this.progress;
    if (e.type === 'start') p.epochs = e.epochs;
    else if (e.type === 'epoch') {
      p.epochsDone = Math.max(p.epochsDone, e.epoch + 1);
      p.accuracy = e.testAccuracy;
      p.loss = e.testLoss;
      p.savedBackward = e.flopsSaved.backward;
    } else if (e.type === 'freeze') {
      this.frozenLayers.add(e.layer);
      p.frozen = this.frozenLayers.size;
    } else if (e.type === 'progress') {
      p.fraction = e.fraction;
      p.message = e.message;
    }
  }
}

export function progressMessage(p: RunProgress): string {
  if (p.message !== undefined) return `${Math.round((p.fraction ?? 0) * 100)}% · ${p.message}`;
  if (p.epochs === 0) return 'starting…';
  const parts = [`epoch ${Math.min(p.epochsDone + 1, p.epochs)}/${p.epochs}`];
  if (p.accuracy !== undefined && Number.isFinite(p.accuracy)) parts.push(`accuracy ${formatPercent(p.accuracy)}`);
  if (p.loss !== undefined && Number.isFinite(p.loss)) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.frozen > 0) parts.push(`${p.frozen} frozen`);
  if (p.savedBackward > 0) parts.push(`${formatSaving(p.savedBackward)} backward saved`);
  return parts.join(' · ');
}
