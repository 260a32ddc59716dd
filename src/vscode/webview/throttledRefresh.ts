/**
 * A panel's "refresh soon". Live runs send events many times a second; a panel reloads what it
 * shows at most once per delay. A refresh asked for now (delay 0: the panel became visible, its
 * runs changed) replaces a pending slower one; a slower one never postpones a pending refresh.
 */
export class ThrottledRefresh {
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly refresh: () => Promise<void>) {}

  schedule(delayMs: number): void {
    if (this.pending) {
      if (delayMs > 0) return;
      clearTimeout(this.pending);
    }
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.refresh();
    }, delayMs);
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
  }
}
