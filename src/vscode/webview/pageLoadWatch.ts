/**
 * Keeps a panel's page loading until it talks to the host. Every Model Lab page posts a message
 * ('ready') as soon as its bundle runs; a page that never does stays blank. Two ways that happens
 * in a browser (code-server, vscode.dev), where every webview shares one origin and service worker:
 * - the page's script or stylesheet fails to load (the worker was switched while it fetched); the
 *   page's shell reports that (`LOAD_FAILED`, see html.ts) and the page is set again at once;
 * - the page never gets that far (the worker could not be registered, or a fetch hangs), so
 *   nothing is reported at all; the page is set again when a visible page has said nothing for a
 *   while, with a longer wait each time (a slow machine gets there; a dead page is retried).
 * After the last try the user is told, with Reload Window as the way out. No VS Code import: the
 * host wires it to a panel (panelHost.ts), tests drive it with their own timer.
 */
export interface PageLoadWatchOptions {
  /** Sets the page's HTML (again): a fresh page. */
  render(): void;
  isVisible(): boolean;
  /** A hidden page that is not kept alive is dropped and loaded again when shown (it then says 'ready' again). */
  retainsContext: boolean;
  onRetry(reason: string, attempt: number): void;
  onGiveUp(reason: string): void;
  setTimer?(fn: () => void, ms: number): { clear(): void };
}

/** Tries after a reported load failure, and the pause before try k (k times this). */
export const LOAD_FAILED_RETRIES = 5;
export const LOAD_FAILED_DELAY_MS = 400;
/** Tries for a visible page that has said nothing: after this long, then twice as long, and so on. */
export const SILENT_RETRIES = 3;
export const SILENT_MS = 10_000;

export class PageLoadWatch {
  /** The page has posted a message since it was last (re)loaded. */
  private alive = false;
  private loadFailures = 0;
  private silences = 0;
  private timer: { clear(): void } | undefined;
  private gaveUp = false;
  private readonly setTimer: (fn: () => void, ms: number) => { clear(): void };

  constructor(private readonly o: PageLoadWatchOptions) {
    this.setTimer = o.setTimer ?? ((fn, ms) => {
      const t = setTimeout(fn, ms);
      return { clear: () => clearTimeout(t) };
    });
  }

  /** Sets the page for the first time. */
  start(): void {
    this.load();
  }

  /** A message from the page: `loadFailed` when its shell reports a failed script or stylesheet. */
  onMessage(loadFailed: boolean, url = ''): void {
    if (this.gaveUp) return;
    if (!loadFailed) {
      this.alive = true;
      this.loadFailures = 0;
      this.silences = 0;
      this.clear();
      return;
    }
    this.clear();
    if (this.loadFailures >= LOAD_FAILED_RETRIES) return this.giveUp(`its ${url} did not load after ${this.loadFailures} tries`);
    this.loadFailures++;
    this.o.onRetry(`its ${url} did not load`, this.loadFailures);
    this.timer = this.setTimer(() => this.load(), LOAD_FAILED_DELAY_MS * this.loadFailures);
  }

  /** The panel was shown or hidden. */
  onVisibility(visible: boolean): void {
    if (this.gaveUp) return;
    if (!visible) {
      // A hidden page is not loading (or is kept as it is): nothing to wait for until it is shown.
      if (!this.o.retainsContext) this.alive = false;
      this.clear();
      return;
    }
    if (!this.alive && !this.timer) this.watchSilence();
  }

  dispose(): void {
    this.clear();
  }

  private load(): void {
    this.timer = undefined;
    this.alive = false;
    this.o.render();
    if (this.o.isVisible()) this.watchSilence();
  }

  private watchSilence(): void {
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      if (this.alive || !this.o.isVisible()) return;
      const waited = SILENT_MS * 2 ** this.silences;
      if (this.silences >= SILENT_RETRIES) return this.giveUp(`it said nothing for ${waited / 1000} s after ${this.silences} tries`);
      this.silences++;
      this.o.onRetry(`it said nothing for ${waited / 1000} s`, this.silences);
      this.load();
    }, SILENT_MS * 2 ** this.silences);
  }

  private giveUp(reason: string): void {
    this.gaveUp = true;
    this.clear();
    this.o.onGiveUp(reason);
  }

  private clear(): void {
    this.timer?.clear();
    this.timer = undefined;
  }
}
