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
  const p: RunProgress = { epochsDone: 0, epochs: 0, frozen: 0, savedBackward: 0 };
  const frozen = new Set<string>();
  for (const e of events) {
    if (e.type === 'start') p.epochs = e.epochs;
    else if (e.type === 'epoch') {
      p.epochsDone = Math.max(p.epochsDone, e.epoch + 1);
      p.accuracy = e.testAccuracy;
      p.loss = e.testLoss;
      p.savedBackward = e.flopsSaved.backward;
    } else if (e.type === 'freeze') frozen.add(e.layer);
    else if (e.type === 'progress') {
      p.fraction = e.fraction;
      p.message = e.message;
    }
  }
  p.frozen = frozen.size;
  return p;
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
