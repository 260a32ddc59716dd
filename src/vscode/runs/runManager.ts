import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunEvent } from '../../core/train/events';
import { RunProcess, type RunOutcome, type RunSource } from '../../runner/runProcess';
import { EVENTS_FILE, parseEventLines, runLabel } from '../../runner/runStore';
import { backendSetting, runsRootFor } from '../config';
import { md } from '../util/markdown';
import { untrustedMarkdown } from '../util/untrustedMarkdown';
import { outcomeText } from './outcomeText';
import { progressMessage, runProgress } from './progressText';

/** A run this window started and that has not ended yet. */
export interface ActiveRun {
  readonly process: RunProcess;
  readonly runId: string;
  readonly runDir: string;
  readonly experimentFile: string;
  readonly policy: string;
  /** Every event so far, so panels and inline hints opened mid-run see the whole history. */
  readonly events: RunEvent[];
}

export interface RunEventNotice {
  run: ActiveRun;
  event: RunEvent;
}

/**
 * Owns the runs started from this window: starts each in its own process (the runner), keeps
 * their events for late subscribers, mirrors their logs into the "Model Lab" channel, and
 * shows the active run in the status bar. Cancels them all when the extension deactivates.
 */
export class RunManager implements vscode.Disposable {
  private readonly active = new Map<string, ActiveRun>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly eventEmitter = new vscode.EventEmitter<RunEventNotice>();
  private readonly statusItem: vscode.StatusBarItem;
  /** Fires when a run starts or ends. */
  readonly onDidChangeRuns = this.changed.event;
  /** Fires for every event of every active run. */
  readonly onDidRunEvent = this.eventEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.statusItem = vscode.window.createStatusBarItem('modelLab.activeRun', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'Model Lab: Active Run';
  }

  /** Starts a run: a new one of an experiment loaded once by the caller, or a resumed one. */
  start(source: RunSource): ActiveRun {
    const loaded = 'experiment' in source ? source.experiment : undefined;
    const file = 'experiment' in source ? source.experiment.file : path.resolve(source.experimentFile);
    const process = RunProcess.start({ ...source, outRoot: loaded ? runsRootFor(file) : undefined, backend: backendSetting() });
    const run: ActiveRun = {
      process, runId: process.runId, runDir: process.runDir, experimentFile: file,
      policy: loaded ? runLabel(loaded.experiment) : '', events: loaded ? [] : pastEvents(process.runDir),
    };
    this.active.set(run.runDir, run);
    const tag = `[${run.runId}]`;
    const freezing = loaded?.experiment.kind === 'train' && loaded.experiment.freezing ? ` ${JSON.stringify(loaded.experiment.freezing)}` : '';
    this.log.info(`${tag} ${loaded ? 'starting' : 'resuming'} ${file}${loaded ? ` (${run.policy})${freezing}` : ''}`);
    for (const w of loaded?.warnings ?? []) this.log.warn(`${tag} ${w.pointer}: ${w.message}`);
    process.onLog((level, line) => this.log[level](`${tag} ${line}`));
    process.onEvent((event) => {
      run.events.push(event);
      if (event.type === 'start') (run as { policy: string }).policy = event.policy;
      if (event.type === 'progress') (run as { policy: string }).policy = event.kind;
      if (event.type === 'start') this.log.info(`${tag} ${event.experiment} · policy ${event.policy} · backend ${event.backend} · ${event.epochs} epochs × ${event.stepsPerEpoch} steps`);
      if (event.type === 'freeze') this.log.info(`${tag} froze ${event.layer} at epoch ${event.epoch + 1}, step ${event.step}${event.reason ? ` (${event.reason})` : ''}`);
      if (event.type === 'epoch') this.log.info(`${tag} ${progressMessage(runProgress(run.events))}`);
      if (event.type === 'progress' && event.fraction > 0) this.log.info(`${tag} ${event.message}`);
      if (event.type !== 'step') this.updateStatus();
      this.eventEmitter.fire({ run, event });
    });
    void process.done.then((outcome) => {
      this.active.delete(run.runDir);
      this.logOutcome(tag, outcome);
      this.updateStatus();
      this.changed.fire();
    });
    this.updateStatus();
    this.changed.fire();
    return run;
  }

  activeRuns(): ActiveRun[] {
    return [...this.active.values()];
  }

  get(runDir: string): ActiveRun | undefined {
    return this.active.get(path.resolve(runDir)) ?? this.active.get(runDir);
  }

  /** The newest active run of an experiment file. */
  activeFor(experimentFile: string): ActiveRun | undefined {
    const file = path.resolve(experimentFile);
    return this.activeRuns().reverse().find((r) => r.experimentFile === file);
  }

  cancel(runDir: string): boolean {
    const run = this.get(runDir);
    if (!run) return false;
    this.log.info(`[${run.runId}] cancel requested`);
    run.process.cancel();
    return true;
  }

  private logOutcome(tag: string, outcome: RunOutcome): void {
    const s = outcome.summary;
    if (outcome.status === 'completed' && s) {
      this.log.info(`${tag} completed: ${outcomeText(s)}`);
    } else if (outcome.error) {
      this.log.error(`${tag} ${outcome.status}: ${outcome.error.message}`);
    } else {
      this.log.info(`${tag} ${outcome.status}`);
    }
  }

  private updateStatus(): void {
    const runs = this.activeRuns();
    if (runs.length === 0) {
      this.statusItem.hide();
      return;
    }
    const run = runs[runs.length - 1];
    const start = run.events.find((e) => e.type === 'start');
    const name = start?.type === 'start' ? start.experiment : path.basename(run.experimentFile, '.experiment.json');
    const more = runs.length > 1 ? ` (+${runs.length - 1})` : '';
    const progress = progressMessage(runProgress(run.events));
    this.statusItem.text = `$(sync~spin) ${name} · ${run.policy || '…'} · ${progress.split(' · ')[0]}${more}`;
    this.statusItem.tooltip = untrustedMarkdown(md`**Model Lab** — ${name} (${run.policy})\n\n${progress}\n\nClick to open the timeline.`);
    this.statusItem.command = { title: 'Open Freezing Timeline', command: 'modelLab.openTimeline', arguments: [vscode.Uri.file(run.runDir)] };
    this.statusItem.show();
  }

  dispose(): void {
    for (const run of this.active.values()) run.process.cancel(3000);
    this.statusItem.dispose();
    this.changed.dispose();
    this.eventEmitter.dispose();
  }
}


/** The history of a run being resumed, so live views show it from its first epoch. */
function pastEvents(runDir: string): RunEvent[] {
  try {
    return parseEventLines(readFileSync(path.join(runDir, EVENTS_FILE), 'utf8'));
  } catch {
    return [];
  }
}
