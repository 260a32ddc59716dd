import type { RunEvent } from '../../core/train/events';
import { LIVE_CADENCE_MS, ThrottledRefresh } from '../webview/throttledRefresh';

/** Events that change what the run is (it started, a layer froze, it ended): shown at once. */
const PROMPT_EVENTS: ReadonlySet<RunEvent['type']> = new Set(['start', 'distill-start', 'freeze', 'end', 'distill-end']);

/**
 * When the status bar item of the live runs redraws. A fast run sends tens of epoch, checkpoint
 * and progress events a second; the item follows them at the timeline's live cadence
 * (`LIVE_CADENCE_MS`), and at once when a run starts, a layer freezes, a run ends, or a run is
 * followed, left, paused or continued (`now`).
 */
export class StatusBarCadence {
  private readonly refresh: ThrottledRefresh;

  constructor(update: () => void) {
    this.refresh = new ThrottledRefresh(async () => update());
  }

  /** An event of a live run. */
  event(e: RunEvent): void {
    this.refresh.schedule(PROMPT_EVENTS.has(e.type) ? 0 : LIVE_CADENCE_MS);
  }

  /** A run was followed or ended, paused or continued. */
  now(): void {
    this.refresh.schedule(0);
  }

  dispose(): void {
    this.refresh.dispose();
  }
}
