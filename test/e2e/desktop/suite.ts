import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * The integration checks of the e2e suite, run inside a desktop VS Code's extension host by
 * `@vscode/test-electron` (`npm run test:desktop`). The host cannot see webview content, so
 * the panel checks stay in the code-server suite; here: commands, the run store, inlay hints,
 * CodeLens, cancellation. The workspace is a copy of examples/ with the e2e fixtures.
 */
export async function run(): Promise<void> {
  const checks: [string, () => Promise<void>][] = [
    ['extension activates and contributes its commands', activates],
    ['Run Experiment completes a run with freeze events', runsQuickExperiment],
    ['inlay hints and CodeLens show the latest run', showsAnnotations],
    ['Cancel Run stops a running experiment', cancelsRun],
  ];
  let failed = 0;
  for (const [name, fn] of checks) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}\n  ${(e as Error).stack ?? e}`);
    }
  }
  if (failed) throw new Error(`${failed} of ${checks.length} desktop checks failed`);
}

const ws = () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
const quick = () => vscode.Uri.file(path.join(ws(), 'digits', 'quick-digits.experiment.json'));
const long = () => vscode.Uri.file(path.join(ws(), 'digits', 'long-digits.experiment.json'));
const runsRoot = () => path.join(ws(), 'digits', '.model-lab', 'runs');

function runs(): { dir: string; record: { experiment: string; status: string } }[] {
  if (!existsSync(runsRoot())) return [];
  return readdirSync(runsRoot())
    .map((d) => path.join(runsRoot(), d))
    .filter((d) => existsSync(path.join(d, 'run.json')))
    .map((dir) => ({ dir, record: JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) }));
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function activates(): Promise<void> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'model-lab');
  assert.ok(ext, 'extension present');
  await ext.activate();
  const commands = await vscode.commands.getCommands(true);
  for (const c of ['modelLab.runExperiment', 'modelLab.runWithPolicy', 'modelLab.comparePolicies', 'modelLab.cancelRun', 'modelLab.openTimeline', 'modelLab.showLog']) {
    assert.ok(commands.includes(c), c);
  }
}

async function runsQuickExperiment(): Promise<void> {
  await vscode.window.showTextDocument(quick());
  await vscode.commands.executeCommand('modelLab.runExperiment', quick());
  const done = await until('the quick run to complete', () => runs().find((r) => r.record.experiment === 'quick-digits' && r.record.status === 'completed'), 120_000);
  const events = readFileSync(path.join(done.dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.type === 'freeze' && e.layer === 'fc1'));
}

async function showsAnnotations(): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(quick());
  const range = new vscode.Range(0, 0, doc.lineCount, 0);
  let hints: string[] = [];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const h = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range);
    hints = h.map((x) => (typeof x.label === 'string' ? x.label : x.label.map((p) => p.value).join('')));
    if (hints.some((l) => /frozen at epoch/.test(l))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(hints.some((l) => /^❄ frozen at epoch \d+ \(step \d+\)$/.test(l)), JSON.stringify(hints));
  assert.ok(hints.some((l) => /^\d+% saved$/.test(l)), JSON.stringify(hints));
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
  const titles = lenses.map((l) => l.command?.title ?? '');
  assert.ok(titles.some((t) => t.includes('Run')), JSON.stringify(titles));
  assert.ok(titles.some((t) => t.startsWith('Last run: linear · completed')), JSON.stringify(titles));
}

async function cancelsRun(): Promise<void> {
  void vscode.commands.executeCommand('modelLab.runExperiment', long());
  const live = await until('the long run to start', () => runs().find((r) => r.record.experiment === 'long-digits'), 60_000);
  await until('its first epoch', () => existsSync(path.join(live.dir, 'events.jsonl')) && readFileSync(path.join(live.dir, 'events.jsonl'), 'utf8').includes('"type":"epoch"'), 60_000);
  await vscode.commands.executeCommand('modelLab.cancelRun', vscode.Uri.file(live.dir));
  await until('the run to be cancelled', () => runs().find((r) => r.dir === live.dir && r.record.status === 'cancelled'), 60_000);
}
