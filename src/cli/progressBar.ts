/**
 * A one-line progress bar for stderr. On a terminal it redraws in place with `\r`; elsewhere
 * (CI logs, pipes) it prints a plain line only when the label changes or at most every few
 * percent, so logs stay readable.
 */
export class ProgressBar {
  private lastPlain = -1;
  private drawn = false;

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
    } else if (pct >= this.lastPlain + 5 || pct === 100) {
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
    this.drawn = false;
  }
}
