/**
 * A one-line progress bar for stderr. On a terminal it redraws in place with `\r`; elsewhere
 * (CI logs, pipes) it prints a plain line every few percent, so logs stay readable, and the
 * 100% line once, at `done()`, with the last label (several updates can reach 100%: the last
 * step, then the epoch's results).
 */
export class ProgressBar {
  private lastPlain = -1;
  private drawn = false;
  private finalLabel: string | undefined;

  constructor(
    private readonly write: (s: string) => void,
    private readonly isTTY: boolean,
    private readonly width = 28,
  ) {}

  update(fraction: number, label: string): void {
    const f = Math.min(1, Math.max(0, fraction));
    const pct = Math.floor(f * 100);
    if (this.isTTY) {
      const filled = Math.round(f * this.width);
      this.write(`\r[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${String(pct).padStart(3)}% ${label}\x1b[K`);
      this.drawn = true;
    } else if (pct === 100) {
      this.finalLabel = label;
    } else if (pct >= this.lastPlain + 5) {
      this.lastPlain = pct;
      this.write(`${String(pct).padStart(3)}% ${label}\n`);
    }
  }

  /** Print a message above the bar. */
  message(text: string): void {
    if (this.isTTY && this.drawn) this.write('\r\x1b[K');
    this.write(text + '\n');
  }

  done(): void {
    if (this.isTTY && this.drawn) this.write('\n');
    if (!this.isTTY && this.finalLabel !== undefined) this.write(`100% ${this.finalLabel}\n`);
    this.drawn = false;
    this.finalLabel = undefined;
  }
}
