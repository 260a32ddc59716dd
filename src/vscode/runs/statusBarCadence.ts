import type { RunEvent } from '../../core/train/events';
import { LIVE_CADENCE_MS, PROMPT_RUN_EVENTS, ThrottledRefresh } from '../webview/throttledRefresh';

/**
 * When the status bar item of the live runs redraws. A fast run sends tens of epoch, checkpoint
 * and progress events a second; the item follows them at the timeline's live cadence
 * (`LIVE_CADENCE_MS`), and at once on what changes what a run is (`PROMPT_RUN_EVENTS`) or when a
 * run is followed, left, paused or continued (`now`).
 */
export class StatusBarCadence {
  private readonly refresh: ThrottledRefresh;

  constructor(update: () => void) {
    this.refresh = new ThrottledRefresh(async () => update());
  }

  /** An event of a live run. */
  event(e: RunEvent): void {
    this.refresh.schedule(PROMPT_RUN_EVENTS.has(e.type) ? 0 : LIVE_CADENCE_MS);
  }

  /** A run was followed or ended, paused or continued. */
  now(): void {
    this.refresh.schedule(0);
  }

  dispose(): void {
    this.refresh.dispose();
  }
}
