import * as path from 'node:path';
import * as vscode from 'vscode';
import { peekExperiment } from '../../core/experiment/peek';
import { annotationMode } from '../config';
import type { RunIndex } from '../runs/runIndex';
import type { RunManager } from '../runs/runManager';
import { progressMessage } from '../runs/progressText';
import { formatAgo, formatPercent, formatSeconds } from '../../panels/shared/format';
import { untrustedMarkdown } from '../util/untrustedMarkdown';
import { distillView, type DistillView } from '../../panels/distill/viewModel';
import { readRunConfig } from '../../runner/runConfig';
import { readEvents } from '../../runner/runStore';
import { runsRootFor } from '../config';
import { distillFileAnnotations, teacherBatchNormAnnotations, type FileAnnotation } from './distillAnnotations';
import { layerAnnotations } from './layerAnnotations';

const SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.experiment.json' }];
/** Live runs post many events; the editor is refreshed at most this often. */
const LIVE_REFRESH_MS = 500;

/**
 * Frozen layers inline: an inlay hint (or, by setting, a CodeLens) after each `model.layers`
 * entry from the file's latest run, hovers with the details, and CodeLenses at the top of the
 * file to run it, open its timeline and see the last result. Live while a run is going.
 */
export function registerExperimentAnnotations(index: RunIndex, manager: RunManager): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  let timer: NodeJS.Timeout | undefined;
  const refreshSoon = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      changed.fire();
    }, LIVE_REFRESH_MS);
  };

  const teacherRuns = new TeacherRuns(index);
  const annotationsFor = async (doc: vscode.TextDocument): Promise<FileAnnotation[]> => {
    const text = doc.getText();
    const kind = peekExperiment(text).kind;
    const latest = await index.latest(doc.uri.fsPath);
    if (kind === 'distill') {
      if (!latest) return [];
      const header = { runId: latest.runId, runDir: latest.runDir, experiment: latest.record?.experiment ?? '', status: latest.status };
      return distillFileAnnotations(text, distillView(header, latest.events));
    }
    const own = latest ? layerAnnotations(text, { runId: latest.runId, runDir: latest.runDir, status: latest.status }, latest.events) : [];
    // A teacher's batch-norm layers after a distill run synthesised inputs from it.
    const distilled = kind === 'train' ? await teacherRuns.latestView(doc.uri.fsPath) : undefined;
    return distilled ? [...own, ...teacherBatchNormAnnotations(text, distilled)] : own;
  };

  const inlayHints: vscode.InlayHintsProvider = {
    onDidChangeInlayHints: changed.event,
    async provideInlayHints(doc, range) {
      if (annotationMode() !== 'inlayHints') return [];
      const out: vscode.InlayHint[] = [];
      for (const a of await annotationsFor(doc)) {
        const pos = doc.positionAt(a.end);
        if (!range.contains(pos)) continue;
        for (const part of a.parts) {
          const hint = new vscode.InlayHint(pos, part);
          hint.paddingLeft = true;
          hint.tooltip = untrustedMarkdown(a.details);
          out.push(hint);
        }
      }
      return out;
    },
  };

  const codeLenses: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(doc) {
      if (annotationMode() === 'off') return [];
      const top = new vscode.Range(0, 0, 0, 0);
      const uri = doc.uri;
      const lenses: vscode.CodeLens[] = [];
      const isTrain = peekExperiment(doc.getText()).kind === 'train';
      const live = manager.activeFor(uri.fsPath);
      if (live) {
        lenses.push(
          new vscode.CodeLens(top, { title: `$(sync~spin) ${progressMessage(live.progress)}`, command: 'modelLab.openTimeline', arguments: [uri] }),
          new vscode.CodeLens(top, { title: '$(debug-stop) Cancel', command: 'modelLab.cancelRun', arguments: [vscode.Uri.file(live.runDir)] }),
        );
      } else {
        lenses.push(new vscode.CodeLens(top, { title: '$(play) Run', tooltip: 'Model Lab: Run Experiment', command: 'modelLab.runExperiment', arguments: [uri] }));
        if (isTrain) lenses.push(new vscode.CodeLens(top, { title: 'Run with Policy…', command: 'modelLab.runWithPolicy', arguments: [uri] }));
      }
      const [last] = await index.runsOf(uri.fsPath);
      if (last || live) {
        lenses.push(new vscode.CodeLens(top, isTrain
          ? { title: '$(graph-line) Open Freezing Timeline', command: 'modelLab.openTimeline', arguments: [uri] }
          : { title: '$(output) Show Last Results', command: 'modelLab.openTimeline', arguments: [uri] }));
      }
      if (last && !live) {
        const parts = [`Last run: ${last.policy}`, last.status];
        if (last.accuracy !== undefined) parts.push(formatPercent(last.accuracy));
        if (last.score) parts.push(`${last.score.name} ${formatPercent(last.score.value)}`);
        if (last.trainSeconds !== undefined) parts.push(formatSeconds(last.trainSeconds));
        parts.push(formatAgo(last.startedAt));
        lenses.push(new vscode.CodeLens(top, { title: parts.join(' · '), tooltip: last.runId, command: 'modelLab.openTimeline', arguments: [vscode.Uri.file(last.runDir)] }));
      }
      if (annotationMode() === 'codeLens') {
        for (const a of await annotationsFor(doc)) {
          const line = doc.positionAt(a.start).line;
          lenses.push(new vscode.CodeLens(new vscode.Range(line, 0, line, 0), { title: a.label, tooltip: a.name, command: 'modelLab.openTimeline', arguments: [uri] }));
        }
      }
      return lenses;
    },
  };

  const hovers: vscode.HoverProvider = {
    async provideHover(doc, position) {
      if (annotationMode() === 'off') return undefined;
      const offset = doc.offsetAt(position);
      const a = (await annotationsFor(doc)).find((x) => offset >= x.start && offset <= x.end);
      if (!a) return undefined;
      return new vscode.Hover(untrustedMarkdown(a.details), new vscode.Range(doc.positionAt(a.start), doc.positionAt(a.end)));
    },
  };

  return vscode.Disposable.from(
    changed,
    vscode.languages.registerInlayHintsProvider(SELECTOR, inlayHints),
    vscode.languages.registerCodeLensProvider(SELECTOR, codeLenses),
    vscode.languages.registerHoverProvider(SELECTOR, hovers),
    manager.onDidRunEvent(({ event }) => (event.type === 'step' ? undefined : refreshSoon())),
    manager.onDidChangeRuns(refreshSoon),
    index.onDidChange(refreshSoon),
    vscode.workspace.onDidChangeConfiguration((e) => (e.affectsConfiguration('modelLab') ? refreshSoon() : undefined)),
    { dispose: () => clearTimeout(timer) },
  );
}


/**
 * The newest completed distill run whose teacher is a given train experiment file (in the same
 * runs folder), as the distillation panel's view: the teacher's batch-norm hints come from it.
 * A run's teacher is read from its `config.json` once, its view once.
 */
class TeacherRuns {
  private readonly teachers = new Map<string, string | undefined>();
  private readonly views = new Map<string, DistillView>();

  constructor(private readonly index: RunIndex) {}

  async latestView(file: string): Promise<DistillView | undefined> {
    const target = path.resolve(file);
    const runs = (await this.index.listCached(runsRootFor(target))).filter((r) => r.kind === 'distill' && r.status === 'completed');
    for (const r of runs) {
      if (!this.teachers.has(r.runDir)) {
        const teacher = (await readRunConfig(r.runDir).catch(() => undefined))?.experiment as { teacher?: unknown } | undefined;
        this.teachers.set(r.runDir, typeof teacher?.teacher === 'string' ? path.resolve(teacher.teacher) : undefined);
      }
      if (this.teachers.get(r.runDir) !== target) continue;
      // A completed run's events do not change: read once (hint providers ask on every scroll).
      let view = this.views.get(r.runDir);
      if (!view) this.views.set(r.runDir, (view = distillView({ runId: r.runId, runDir: r.runDir, experiment: r.experiment, status: r.status }, await readEvents(r.runDir))));
      return view;
    }
    return undefined;
  }
}
