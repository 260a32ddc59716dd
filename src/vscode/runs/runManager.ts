import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunEvent } from '../../core/train/events';
import { startDetachedRun } from '../../runner/detachedRun';
import { RunFollower } from '../../runner/runFollower';
import { LiveHistory } from '../../runner/liveHistory';
import { signalRunHolder } from '../../runner/runLock';
import type { RunOutcome, RunSource } from '../../runner/runSource';
import { runLabel, type RunRecord } from '../../runner/runStore';
import { backendSetting, runsRootFor, threadsSetting } from '../config';
import { md } from '../util/markdown';
import { untrustedMarkdown } from '../util/untrustedMarkdown';
import { outcomeText } from './outcomeText';
import { progressMessage, ProgressTracker, type RunProgress } from './progressText';
import { StatusBarCadence } from './statusBarCadence';

/** A running run this window follows: one it started, or one it found running in the run store. */
export interface ActiveRun {
  readonly follower: RunFollower;
  readonly done: Promise<RunOutcome>;
  readonly runId: string;
  readonly runDir: string;
  readonly experimentFile: string;
  readonly policy: string;
  /**
   * The run's history so far, so panels and inline hints opened mid-run see it: every event but
   * the unbounded kinds (steps, epochs, checkpoints), which are thinned evenly past a bound
   * (`LiveHistory`); the run's `events.jsonl` has them all.
   */
  readonly events: readonly RunEvent[];
  /** Its progress after the latest event (kept up to date, never folded again from `events`). */
  readonly progress: RunProgress;
  /** It waits at an epoch boundary (Pause Run): its record says so (`setPaused`). */
  paused?: boolean;
}

/**
 * Epoch lines in the log at most this often per run: a small model runs tens of epochs a second,
 * and every epoch is in the run's `events.jsonl` anyway. Freezes, the start and the end are
 * always logged.
 */
const EPOCH_LOG_INTERVAL_MS = 1000;

export interface RunEventNotice {
  run: ActiveRun;
  event: RunEvent;
}

/**
 * Owns the window's view of running runs. A run is a detached process of its own
 * (`startDetachedRun`): it outlives this window, and the window follows it through the run
 * store (`RunFollower`): events for late subscribers, its log in the "Model Lab" channel, the
 * status bar. After a reload (or when a folder with a running run is opened) `reattach` picks
 * running runs up again. Disposing stops following; it never stops a run: only Cancel does.
 */
export class RunManager implements vscode.Disposable {
  private readonly active = new Map<string, ActiveRun>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly eventEmitter = new vscode.EventEmitter<RunEventNotice>();
  private readonly attachedEmitter = new vscode.EventEmitter<ActiveRun>();
  private readonly statusItem: vscode.StatusBarItem;
  private readonly status = new StatusBarCadence(() => this.updateStatus());
  /** Fires when a run starts or ends. */
  readonly onDidChangeRuns = this.changed.event;
  /** Fires for every event of every active run. */
  readonly onDidRunEvent = this.eventEmitter.event;
  /** Fires when a run that was already running is followed again after the window (re)opened. */
  readonly onDidReattach = this.attachedEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.statusItem = vscode.window.createStatusBarItem('modelLab.activeRun', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'Model Lab: Active Run';
  }

  /**
   * Starts a run in its own detached process and follows it: a new one of an experiment the
   * caller loaded once (validated), or a resumed run folder.
   */
  start(source: RunSource): ActiveRun {
    const loaded = 'experiment' in source ? source.experiment : undefined;
    const file = 'experiment' in source ? source.experiment.file : path.resolve(source.experimentFile);
    const started = startDetachedRun({ ...source, outRoot: loaded ? runsRootFor(file) : undefined, backend: backendSetting(), threads: threadsSetting() });
    const tag = `[${started.runId}]`;
    const freezing = loaded?.experiment.kind === 'train' && loaded.experiment.freezing ? ` ${JSON.stringify(loaded.experiment.freezing)}` : '';
    const policy = loaded ? runLabel(loaded.experiment) : '';
    this.log.info(`${tag} ${loaded ? 'starting' : 'resuming'} ${file}${loaded ? ` (${policy})${freezing}` : ''} (pid ${started.child.pid})`);
    for (const w of loaded?.warnings ?? []) this.log.warn(`${tag} ${w.pointer}: ${w.message}`);
    return this.follow(new RunFollower(started.runDir, { child: started.child }), file, policy);
  }

  /**
   * Follows the runs of `records` that are running and not followed yet (after a window reload,
   * or a run started elsewhere, e.g. by the CLI). `announce`: tell listeners of `onDidReattach`.
   */
  reattach(records: readonly RunRecord[], announce: boolean): ActiveRun[] {
    const found = records.filter((r) => r.status === 'running' && !this.get(r.runDir));
    return found.map((r) => {
      this.log.info(`[${r.runId}] reattached to the running run (${r.experimentFile})`);
      const run = this.follow(new RunFollower(r.runDir), path.resolve(r.experimentFile), r.policy);
      if (announce) this.attachedEmitter.fire(run);
      return run;
    });
  }

  private follow(follower: RunFollower, experimentFile: string, policy: string): ActiveRun {
    const tracker = new ProgressTracker();
    const history = new LiveHistory();
    const run: ActiveRun = {
      follower, done: follower.done, runId: follower.runId, runDir: follower.runDir, experimentFile, policy, progress: tracker.progress,
      get events() {
        return history.events;
      },
    };
    this.active.set(run.runDir, run);
    const tag = `[${run.runId}]`;
    let epochLoggedAt = -Infinity;
    follower.onLog((level, line) => this.log[level](`${tag} ${line}`));
    follower.onEvent((event) => {
      history.add(event);
      tracker.add(event);
      if (event.type === 'start') (run as { policy: string }).policy = event.policy;
      if (event.type === 'progress' && !run.policy) (run as { policy: string }).policy = event.kind;
      if (event.type === 'start') this.log.info(`${tag} ${event.experiment} · policy ${event.policy} · backend ${event.backend} · ${event.epochs} epochs × ${event.stepsPerEpoch} steps`);
      if (event.type === 'freeze') this.log.info(`${tag} froze ${event.layer} at epoch ${event.epoch + 1}, step ${event.step}${event.reason ? ` (${event.reason})` : ''}`);
      if (event.type === 'epoch') {
        const last = run.progress.epochsDone >= run.progress.epochs;
        if (last || Date.now() - epochLoggedAt >= EPOCH_LOG_INTERVAL_MS) {
          epochLoggedAt = Date.now();
          this.log.info(`${tag} ${progressMessage(run.progress)}`);
        }
      }
      if (event.type === 'progress' && event.fraction > 0) this.log.info(`${tag} ${event.message}`);
      if (event.type !== 'step') this.status.event(event);
      this.eventEmitter.fire({ run, event });
    });
    void follower.done.then((outcome) => {
      follower.dispose();
      if (this.active.get(run.runDir) === run) this.active.delete(run.runDir);
      this.logOutcome(tag, outcome);
      this.status.now();
      this.changed.fire();
    });
    this.status.now();
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

  /** A followed run's record changed its pause state (`RunIndex` watches the records): the status bar shows it at once. */
  setPaused(runDir: string, paused: boolean): void {
    const run = this.get(runDir);
    if (!run || (run.paused ?? false) === paused) return;
    run.paused = paused;
    this.status.now();
  }

  /**
   * Cancels a running run, followed or not (any run whose lock a live process holds here):
   * a signal to that process, after checking it is really the run's. Undefined when sent, else why not.
   */
  cancel(runDir: string): string | undefined {
    const run = this.get(runDir);
    const sent = run ? run.follower.cancel() : signalRunHolder(path.resolve(runDir), 'SIGTERM');
    const reason = sent.ok ? undefined : (sent as { reason?: string }).reason ?? 'it is not running';
    this.log.info(`[${path.basename(runDir)}] cancel requested${reason ? `: not sent, ${reason}` : ''}`);
    return reason;
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
    const progress = progressMessage(run.progress);
    const paused = run.paused ? ' · paused' : '';
    this.statusItem.text = `${run.paused ? '$(debug-pause)' : '$(sync~spin)'} ${name} · ${run.policy || '…'} · ${progress.split(' · ')[0]}${paused}${more}`;
    this.statusItem.tooltip = untrustedMarkdown(md`**Model Lab** — ${name} (${run.policy})${paused}\n\n${progress}\n\nClick to open the timeline.`);
    this.statusItem.command = { title: 'Open Freezing Timeline', command: 'modelLab.openTimeline', arguments: [vscode.Uri.file(run.runDir)] };
    this.statusItem.show();
  }

  /** Stops following; the runs go on (a reloaded window reattaches to them). */
  dispose(): void {
    for (const run of this.active.values()) run.follower.dispose();
    this.status.dispose();
    this.statusItem.dispose();
    this.attachedEmitter.dispose();
    this.changed.dispose();
    this.eventEmitter.dispose();
  }
}

