import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { OUTPUT_DIR, type CodeServer } from './codeServer';

/**
 * Drives the VS Code workbench in Debian's Chromium as a user would: menus, the command
 * palette, the Explorer, and webview content (nested iframes, searched by selector).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Workbench {
  browser: Browser;
  page: Page;
  server: CodeServer;
  /** Console errors seen in any frame (CSP violations show up here). */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * Opens the workbench of `server` and waits until it shows and Model Lab has activated (unless
 * `activates` is false: a folder without Model Lab files, where nothing starts it yet).
 */
export async function openWorkbench(server: CodeServer, opts: { activates?: boolean } = {}): Promise<Workbench> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // Clicks, hovers and fills without their own cap wait this long for their target.
  page.setDefaultTimeout(patient(30_000));
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.goto(server.url);
  await waitForWorkbench(page, server, opts.activates === false ? undefined : 0);
  return { browser, page, server, consoleErrors, close: () => browser.close() };
}

/** Waits for the workbench to show and (unless `after` is undefined) for Model Lab's activation number `after + 1`. */
export async function waitForWorkbench(page: Page, server: CodeServer, after: number | undefined): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: patient(90_000) });
  await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: patient(60_000) });
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: patient(60_000) });
  if (after !== undefined) await waitUntil(page, () => server.activations() > after, 'Model Lab to activate in the extension host', 90_000);
}

/**
 * Reloads the window through the command, as a user would: the workbench shuts down in order
 * and saves every panel's state (a bare browser reload can beat the save of a state set a
 * moment ago, and then the panel is not restored). Done when the new page has loaded and a
 * new extension host has activated Model Lab.
 */
export async function reloadWindow(wb: Workbench): Promise<void> {
  const before = wb.server.activations();
  const loaded = wb.page.waitForEvent('load', { timeout: patient(90_000) });
  await runCommand(wb.page, 'Developer: Reload Window');
  await loaded;
  await waitForWorkbench(wb.page, wb.server, before);
}

/**
 * Every cap on a wait for a run, a webview or a notification is this many times the figure a test
 * states. The waits are on conditions, so a cap only decides how long a failing test takes to say
 * so; the figures in the tests are what an idle machine needs with room to spare, and a busy one
 * (other builds, tests and benchmarks on the same two cores, load 15-20) is several times slower.
 */
export const PATIENCE = 3;

/** `ms` times PATIENCE (also for a suite's own timeout). */
export function patient(ms: number): number {
  return ms * PATIENCE;
}

/** Polls `condition` (a condition, never a fixed wait) until it holds, or fails after `patient(timeoutMs)`. */
export async function waitUntil(page: Page, condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  timeoutMs = patient(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await page.waitForTimeout(200);
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Runs a command from the palette by its title, e.g. "Model Lab: Run Experiment". */
export async function runCommand(page: Page, title: string): Promise<void> {
  await pickInQuickInput(page, 'F1', `>${title}`, title, 'the command palette');
}

/**
 * Runs a command from the palette until `effect` holds (polled for `tryMs` per try), at most three
 * times. On a busy machine the Enter that runs the palette's focused row can be lost while the
 * list is still being filtered (the palette closes, nothing runs): for commands whose effect can
 * be seen and that may safely run again (a refusal, opening a view).
 */
export async function runCommandUntil(page: Page, title: string, effect: () => Promise<boolean>, what: string, tryMs = 20_000): Promise<void> {
  await untilEffect(page, () => runCommand(page, title), effect, what, {
    action: `running ${title}`,
    tryMs,
    detail: async () => {
      const quickInput = await page.locator('.quick-input-widget:visible .quick-input-title, .quick-input-widget:visible input').allTextContents().catch(() => []);
      return `notifications: ${JSON.stringify(await notificationTexts(page))}; open quick input: ${JSON.stringify(quickInput)}`;
    },
  });
}

/** How `untilEffect` tries an action. */
export interface Tries {
  /** The action, named in the log and the error ("clicking rewards in the Explorer"). */
  action: string;
  /** Tries at most (default 3). */
  tries?: number;
  /** How long each try waits for the effect, before `patient()` (default 10 s). */
  tryMs?: number;
  /** Undoes what a try left half done before the next (Escape closes a quick input). */
  undo?: () => Promise<void>;
  /** What else the error should say about the state at the end (notifications, open inputs). */
  detail?: () => Promise<string>;
}

/**
 * Does `act` until `effect` holds: the one way the tests give input whose loss would fail them.
 * A busy workbench (CI: two cores, load 15-20) drops a click, a right-click or a key now and then
 * without a trace (a right-click that opened no menu, a folder that did not expand, a palette
 * Enter lost while the list filters), and only the input's observable effect tells. So each try
 * waits for the effect for `patient(tryMs)` (a bound on a condition, never a pause), then `undo`
 * and the next try, at most `tries`; the last failure saves a screenshot and names the action.
 * `act` returns false when the action was already taken (a toggle already on, a prompt already
 * answered and gone, where a second Enter would go to the editor): then it does not run again,
 * and only its effect is awaited.
 */
export async function untilEffect(page: Page, act: () => Promise<unknown>, effect: () => Promise<boolean>, what: string, how: Tries): Promise<void> {
  const tries = how.tries ?? 3;
  for (let attempt = 1; ; attempt++) {
    const acted = (await act()) !== false;
    if (await waitUntil(page, () => effect().catch(() => false), what, how.tryMs ?? 10_000).then(() => true, () => false)) return;
    if (!acted || attempt === tries) {
      const detail = how.detail ? `; ${await how.detail().catch((e) => String(e))}` : '';
      const shot = await screenshot(page, `no-effect-${what.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => 'none');
      throw new Error(`no ${what} after ${how.action} (${acted ? `${attempt} tries` : 'already done'})${detail} (screenshot ${shot})`);
    }
    console.log(`# no ${what} after ${how.action} (try ${attempt} of ${tries}): trying again`);
    await how.undo?.();
  }
}

/**
 * Presses `key` (F1, Ctrl+P) and types `text` into the quick input it opens. A key pressed while
 * a webview has the focus is forwarded by the webview, and in code-server it can be lost, or the
 * webview takes the focus back and the quick input closes: so the focus leaves a webview first
 * (only a webview: a focused editor keeps its context keys for the palette), and the whole
 * step is tried again until the text is in the open input.
 */
async function typeInQuickInput(page: Page, key: string, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const typeIt = async () => {
    await page.evaluate(() => {
      if (document.activeElement?.tagName === 'IFRAME') (document.activeElement as HTMLElement).blur();
    });
    await page.keyboard.press(key);
    await input.fill(text, { timeout: 5_000 }).catch(() => undefined);
  };
  const typed = async () => (await input.isVisible()) && (await input.inputValue()) === text;
  await untilEffect(page, typeIt, typed, `the quick input holding ${text}`, { action: `pressing ${key} and typing`, tries: 6, tryMs: 1_000 });
}

/**
 * Opens `key`'s quick input (F1, Ctrl+P), types `text` and presses Enter once the row showing
 * `rowText` has the focus. The list answers late on a busy machine, and Quick Open's workspace
 * search can give no first answer at all while it starts (s24c: no row in 10 s on an idle
 * machine): then the input is closed and the text typed again, at most three times.
 */
async function pickInQuickInput(page: Page, key: string, text: string, rowText: string, what: string): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: rowText }).first();
  await untilEffect(page, () => typeInQuickInput(page, key, text), () => row.isVisible(), `${what} showing ${rowText}`, {
    action: `typing ${text}`,
    undo: () => page.keyboard.press('Escape'),
  });
  await page.keyboard.press('Enter');
}

/**
 * Opens a file with Quick Open (Ctrl+P) until its editor is the active one (commands without
 * arguments apply to it): the Enter on its row can be lost as the palette's can, and opening a file
 * again is harmless.
 */
export async function openFile(page: Page, name: string): Promise<void> {
  await untilEffect(page, () => pickInQuickInput(page, 'Control+P', name, name, 'Quick Open'), () => activeTab(page, name).isVisible(), `an editor of ${name}`, { action: 'opening it with Quick Open' });
}

/** The active editor tab of `name` (in any editor group). */
function activeTab(page: Page, name: string): Locator {
  return page.locator(`.tab.active[aria-label^="${name}"]`).first();
}

/** The Explorer row of a file (the folder tree must show it). */
export function explorerRow(page: Page, fileName: string) {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${fileName}"]`).first();
}

/**
 * Opens the context menu of a file's Explorer row. The pointer leaves the lists first: a hover
 * left open over the Explorer (a row's path, shown while the pointer rests there) covers the row
 * below it and takes the click (e2e-repeat at load 12: 90 s of "hover-contents intercepts
 * pointer events").
 */
export async function openExplorerMenu(page: Page, fileName: string): Promise<string[]> {
  return openContextMenu(page, () => explorerRow(page, fileName).click({ button: 'right' }));
}

/**
 * Opens a file with a click on its Explorer row (the folder tree must show it) and waits until
 * its editor is the active one. The Explorer lays its rows out again while folders expand and
 * files appear, and a click that lands meanwhile opens nothing (e2e-loop: no tab in 60 s at load
 * 12): the row is clicked again, at most three times.
 */
export async function openFromExplorer(page: Page, name: string): Promise<void> {
  const row = explorerRow(page, name);
  const click = async () => {
    await row.waitFor({ state: 'visible', timeout: patient(20_000) });
    await row.click();
  };
  await untilEffect(page, click, () => activeTab(page, name).isVisible(), `an editor of ${name}`, { action: 'clicking it in the Explorer' });
}

/** The Runs tree of the Model Lab view. */
export function runsTree(page: Page): Locator {
  return page.locator('.pane-body .monaco-list[aria-label*="Runs"], [id="workbench.view.extension.model-lab"] .monaco-list').first();
}

/** Shows the Model Lab view and returns its Runs tree. */
export async function openRunsView(page: Page): Promise<Locator> {
  const tree = runsTree(page);
  await runCommandUntil(page, 'Model Lab: Focus on Runs View', () => tree.isVisible(), 'the Runs view');
  return tree;
}

/** Shows the Explorer (through its command: clicking the activity bar would hide it if it were showing). */
export async function showExplorer(page: Page): Promise<void> {
  const view = page.locator('.explorer-folders-view').first();
  await runCommandUntil(page, 'View: Show Explorer', () => view.isVisible(), 'the Explorer');
}

/** Shows the Problems view. */
export async function showProblems(page: Page): Promise<void> {
  const view = page.locator('.markers-panel').first();
  await runCommandUntil(page, 'View: Focus Problems', () => view.isVisible(), 'the Problems view');
}

/** Runs a command that opens a quick pick, until the pick shows a row with `rowText`; returns that row. */
export async function openPick(page: Page, title: string, rowText: string): Promise<Locator> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: rowText }).first();
  await runCommandUntil(page, title, () => row.isVisible(), `the pick of ${title} with ${rowText}`);
  return row;
}

/** Expands a folder in the Explorer if it is collapsed, until it shows expanded. */
export async function expandFolder(page: Page, folderName: string): Promise<void> {
  await expandRow(page, explorerRow(page, folderName), `${folderName} in the Explorer`);
}

/**
 * Expands a tree row (a folder, a sweep in the Runs view) if it is collapsed, until it shows
 * expanded: a click on a busy workbench can be lost (s29b: rewards/ stayed collapsed and its file
 * never appeared in 60 s), and a click once it is expanded would collapse it again.
 */
export async function expandRow(page: Page, row: Locator, name: string): Promise<void> {
  await row.waitFor({ state: 'visible', timeout: patient(20_000) });
  const expanded = async () => (await row.getAttribute('aria-expanded')) === 'true';
  const click = async () => !(await expanded()) && (await row.click(), true);
  await untilEffect(page, click, expanded, `${name} expanded`, { action: `clicking ${name}` });
}

/** The labels of the context menu that is open now. */
export async function contextMenuLabels(page: Page): Promise<string[]> {
  const menu = page.locator('.monaco-menu .action-label');
  await menu.first().waitFor({ state: 'visible', timeout: patient(10_000) });
  return page.evaluate(() => {
    const roots: (Document | ShadowRoot)[] = [document];
    for (const host of Array.from(document.querySelectorAll('.shadow-root-host'))) if (host.shadowRoot) roots.push(host.shadowRoot);
    return roots.flatMap((r) => Array.from(r.querySelectorAll('.monaco-menu .action-label')).map((e) => (e.textContent ?? '').trim())).filter(Boolean);
  });
}

/**
 * Right-clicks with `rightClick` until a context menu is open, at most four times; returns its
 * labels. A busy workbench can drop a right-click (CI: no menu in 30 s after one click on a
 * reattached live run's row; a probe showed that an open menu does survive the row's redraws,
 * so the click itself was lost); the pointer leaves the lists before each try.
 */
export async function openContextMenu(page: Page, rightClick: () => Promise<void>): Promise<string[]> {
  const menu = page.locator('.monaco-menu .action-label').first();
  await untilEffect(page, async () => (await pointerAway(page), await rightClick()), () => menu.isVisible(), 'context menu', { action: 'right-clicking', tries: 4, tryMs: 5_000 });
  return contextMenuLabels(page);
}

/**
 * Closes the open context menu with Escape, until none shows: a menu left open by a lost Escape
 * would be read as the next one (the next right-click would find a menu already open).
 */
export async function closeContextMenu(page: Page): Promise<void> {
  const open = () => page.locator('.monaco-menu .action-label:visible').first().isVisible();
  await untilEffect(page, async () => (await open()) && (await page.keyboard.press('Escape'), true), async () => !(await open()), 'the context menu closed', { action: 'pressing Escape' });
}

/**
 * Moves the pointer off the lists first: the pointer left on a row (after a context menu) opens
 * that row's hover, which can lie over the next row and, once the pointer is on it, stays.
 */
export async function pointerAway(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.locator('.context-view .hover-contents').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
}

/** Clicks an entry of the open context menu (menus live in a shadow root in VS Code). */
export async function clickContextMenuItem(page: Page, label: string): Promise<void> {
  const item = page.locator('.monaco-menu .action-item', { hasText: label }).first();
  await item.waitFor({ state: 'visible', timeout: patient(10_000) });
  // Chosen with the keyboard once the pointer has focused exactly this item: a menu that is
  // laid out again as it opens (a long menu flipped to fit, a busy machine) can move another
  // item under a mouse click, which then runs a different command (or none).
  const focused = page.locator('.monaco-menu .action-item.focused').first();
  const hasFocus = async () => ((await focused.textContent({ timeout: 1_000 })) ?? '').includes(label);
  await untilEffect(page, () => item.hover(), hasFocus, `the focus on the context menu item "${label}"`, { action: 'hovering it', tries: 10, tryMs: 1_000 });
  await page.keyboard.press('Enter');
}

/**
 * Picks `item` from the context menu `open` opens, until `effect` holds (polled for `tryMs` per
 * try). A view redrawn while its menu is open (a live run's row changes every second) can close
 * the menu and swallow the choice: then the menu is opened and the item chosen again, while the
 * menu still offers it; once it no longer does, the choice was taken and only its effect is awaited.
 */
export async function chooseUntil(page: Page, open: () => Promise<void>, item: string, effect: () => Promise<boolean>, what: string, tryMs = 20_000): Promise<void> {
  let first = true;
  const choose = async () => {
    const labels = await openContextMenu(page, open);
    if (!labels.includes(item)) {
      await closeContextMenu(page);
      if (first) throw new Error(`${item} is not in the menu: ${JSON.stringify(labels)}`);
      return false;
    }
    first = false;
    await clickContextMenuItem(page, item);
    return true;
  };
  await untilEffect(page, choose, effect, what, {
    action: `choosing ${item}`,
    tryMs,
    detail: async () => `notifications: ${JSON.stringify(await notificationTexts(page))}`,
  });
}

/** The webview frame whose document has `selector` (webviews are nested iframes). */
export async function findWebviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  timeoutMs = patient(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      try {
        if (await f.$(selector)) return f;
      } catch {
        // frame navigated away meanwhile
      }
    }
    if (Date.now() > deadline) throw new Error(`no webview frame with ${selector} within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/**
 * Polls `read` in every webview frame that has `selector` until `predicate` holds in one of
 * them (several panels of the same kind can be open, e.g. restored after a reload); returns
 * that value, or reports the last one read.
 */
export async function waitInWebview<T>(page: Page, selector: string, read: (f: Frame) => Promise<T>, predicate: (v: T) => boolean, timeoutMs: number): Promise<T> {
  timeoutMs = patient(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const look = await lookInWebviews(page, selector, read, predicate);
    if (look.hit) return look.last as T;
    if (Date.now() > deadline) throw new Error(`webview condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(look.last)}`);
    await page.waitForTimeout(500);
  }
}

/** Whether `predicate` holds now for `read` in a webview frame that has `selector` (an input's effect, for `untilEffect`). */
export async function webviewShows<T>(page: Page, selector: string, read: (f: Frame) => Promise<T>, predicate: (v: T) => boolean): Promise<boolean> {
  return (await lookInWebviews(page, selector, read, predicate)).hit;
}

/** One look at every webview frame with `selector`: whether `predicate` held for one, and the last value read. */
async function lookInWebviews<T>(page: Page, selector: string, read: (f: Frame) => Promise<T>, predicate: (v: T) => boolean): Promise<{ hit: boolean; last?: T }> {
  let last: T | undefined;
  for (const frame of page.frames()) {
    try {
      if (!(await frame.$(selector))) continue;
      last = await read(frame);
      if (predicate(last)) return { hit: true, last };
    } catch {
      // webview still loading, reloading or navigated away
    }
  }
  return { hit: false, last };
}

/**
 * Hovers `target` until the editor shows a hover (matching `pattern`), and returns its text: the
 * editor shows one only after the pointer rests, and a busy machine can miss the first rest.
 */
export async function hoverText(page: Page, target: Locator, pattern?: RegExp): Promise<string> {
  const hover = page.locator('.monaco-hover:not(.hidden)').first();
  let text = '';
  const shown = async () => {
    if (!(await hover.isVisible())) return false;
    text = (await hover.textContent()) ?? '';
    return !pattern || pattern.test(text);
  };
  await untilEffect(page, async () => (await page.mouse.move(0, 0), await target.hover()), shown, `a hover${pattern ? ` matching ${pattern}` : ''}`, {
    action: 'hovering',
    tries: 6,
    detail: async () => `last hover: ${JSON.stringify(text)}`,
  });
  return text;
}

/** Texts of the visible notification toasts. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.locator('.notification-toast .notification-list-item-message').allTextContents();
}

export async function waitForNotification(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  timeoutMs = patient(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await notificationTexts(page)).find((t) => pattern.test(t));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no notification matching ${pattern} within ${timeoutMs} ms; saw: ${JSON.stringify(await notificationTexts(page))}`);
    await page.waitForTimeout(300);
  }
}

/**
 * Clicks an export button in a webview (the first frame with `button`), answers VS Code's save
 * dialog with `file`, and waits for the file to be written.
 */
export async function exportVia(page: Page, button: string, file: string): Promise<void> {
  const frame = await findWebviewFrame(page, button);
  // code-server's save dialog is VS Code's own (a quick input holding the path to save to).
  const input = page.locator('.quick-input-widget input');
  await untilEffect(page, () => frame.click(button), () => input.isVisible(), 'save dialog', { action: `clicking ${button}`, tryMs: 30_000 });
  await waitUntil(page, async () => /\.(svg|png|csv|json)$/.test(await input.inputValue()), 'the save dialog to propose a file name');
  await screenshot(page, `save-dialog-${path.basename(file).replace(/\W/g, '-')}`);
  // Answered again only while the dialog is open.
  const save = async () => (await input.isVisible()) && (await input.fill(file), await page.keyboard.press('Enter'), true);
  await untilEffect(page, save, async () => existsSync(file), `${file} written`, { action: 'answering the save dialog', tryMs: 30_000 });
}
