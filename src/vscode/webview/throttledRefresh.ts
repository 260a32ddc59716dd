import type { RunEvent } from '../../core/train/events';

/** The live cadence: what follows a run's progress (the timeline, the status bar) refreshes at most this often. */
export const LIVE_CADENCE_MS = 300;

/**
 * A live run's events that change what the run is (it started, a layer froze, it was
 * evaluated, it ended): what follows the run shows them at once, not at the live cadence.
 */
export const PROMPT_RUN_EVENTS: ReadonlySet<RunEvent['type']> = new Set(['start', 'distill-start', 'freeze', 'evaluation', 'end', 'distill-end']);

/**
 * A panel's "refresh soon". Live runs send events many times a second; a panel reloads what it
 * shows at most once per delay. A refresh asked for now (delay 0: the panel became visible, its
 * runs changed) replaces a pending slower one; a slower one never postpones a pending refresh.
 * One refresh runs at a time: what is asked for while one runs waits for it to finish, then its
 * delay starts. A refresh that takes longer than the delay (a long run on a busy machine) so
 * slows the cadence down instead of piling refreshes up behind each other.
 */
export class ThrottledRefresh {
  private pending: NodeJS.Timeout | undefined;
  private running = false;
  /** The shortest delay asked for while a refresh was running. */
  private askedWhileRunning: number | undefined;
  private disposed = false;

  constructor(private readonly refresh: () => Promise<void>) {}

  schedule(delayMs: number): void {
    if (this.disposed) return;
    if (this.running) {
      this.askedWhileRunning = Math.min(this.askedWhileRunning ?? delayMs, delayMs);
      return;
    }
    if (this.pending) {
      if (delayMs > 0) return;
      clearTimeout(this.pending);
    }
    this.pending = setTimeout(() => void this.run(), delayMs);
  }

  private async run(): Promise<void> {
    this.pending = undefined;
    this.running = true;
    try {
      await this.refresh();
    } catch {
      // A refresh reports its own errors; a failed one must not stop the next.
    } finally {
      this.running = false;
      const again = this.askedWhileRunning;
      this.askedWhileRunning = undefined;
      if (again !== undefined) this.schedule(again);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    this.askedWhileRunning = undefined;
  }
}
