import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunEvent } from '../../core/train/events';
import { listRuns, readEvents, readRunRecord, type RunRecord } from '../../runner/runStore';
import { EXPERIMENT_GLOB, runsRootFor } from '../config';
import type { RunManager } from './runManager';

/** The newest run of an experiment file, with its events (live ones when it is running here). */
export interface LatestRun {
  record?: RunRecord;
  runId: string;
  runDir: string;
  status: RunRecord['status'];
  events: readonly RunEvent[];
}

const CACHE_MS = 3000;

/**
 * Answers "which runs does this experiment file have" for the inline annotations, CodeLens and
 * commands. Finished runs come from the run store (cached briefly: hint providers ask on every
 * scroll); a run this window is running comes from the run manager, so it is always current.
 */
export class RunIndex implements vscode.Disposable {
  private readonly cache = new Map<string, { at: number; value: Promise<RunRecord[]> }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the run store changed on disk (a run started, ended or was deleted anywhere). */
  readonly onDidChange = this.changed.event;
  private readonly created = new vscode.EventEmitter<void>();
  /** Fires when a run folder got its record (a run started here, in another window or in a terminal). */
  readonly onDidCreateRun = this.created.event;
  private readonly watcher: vscode.FileSystemWatcher;
  private readonly experimentWatcher: vscode.FileSystemWatcher;
  private readonly workspaceFolders: vscode.Disposable;
  /** The workspace's experiment files (a file search is slow on a busy machine: done once, then kept current). */
  private experimentFiles: Promise<vscode.Uri[]> | undefined;

  constructor(private readonly manager: RunManager) {
    this.experimentWatcher = vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB, false, true, false);
    const forgetFiles = () => {
      this.experimentFiles = undefined;
      invalidate();
    };
    this.experimentWatcher.onDidCreate(forgetFiles);
    this.experimentWatcher.onDidDelete(forgetFiles);
    this.workspaceFolders = vscode.workspace.onDidChangeWorkspaceFolders(forgetFiles);
    this.watcher = vscode.workspace.createFileSystemWatcher('**/.model-lab/runs/*/{run,summary,meta}.json');
    const invalidate = () => {
      this.cache.clear();
      this.changed.fire();
    };
    this.watcher.onDidCreate((uri) => {
      invalidate();
      if (uri.path.endsWith('/run.json')) this.created.fire();
    });
    this.watcher.onDidChange((uri) => void this.recordChanged(uri));
    this.watcher.onDidDelete(invalidate);
    manager.onDidChangeRuns(invalidate);
  }

  invalidate(): void {
    this.cache.clear();
    this.changed.fire();
  }

  /** Status and pause of the live runs' records as last seen (`recordChanged`). */
  private readonly liveStates = new Map<string, string>();

  /**
   * A run this window follows rewrites its record at every checkpoint (many a second on a small
   * model); views follow its progress through its events. So only a change of its status or pause
   * state tells listeners; other rewrites just drop the cache.
   */
  private async recordChanged(uri: vscode.Uri): Promise<void> {
    const runDir = path.dirname(uri.fsPath);
    if (!uri.path.endsWith('/run.json') || !this.manager.get(runDir)) {
      this.liveStates.delete(runDir);
      return this.invalidate();
    }
    const record = await readRunRecord(runDir);
    const state = `${record?.status}|${record?.paused === true}`;
    this.cache.clear();
    if (this.liveStates.get(runDir) === state) return;
    this.liveStates.set(runDir, state);
    this.manager.setPaused(runDir, record?.paused === true);
    this.changed.fire();
  }

  /** Runs of one experiment file, newest first. */
  async runsOf(experimentFile: string): Promise<RunRecord[]> {
    const file = path.resolve(experimentFile);
    const root = runsRootFor(file);
    const all = await this.listCached(root);
    return all.filter((r) => path.resolve(r.experimentFile) === file);
  }

  /** Runs of every experiment file in the workspace (and of files that runs mention), newest first per root. */
  async workspaceRuns(): Promise<RunRecord[]> {
    if (!vscode.workspace.workspaceFolders?.length) return [];
    this.experimentFiles ??= Promise.resolve(vscode.workspace.findFiles(EXPERIMENT_GLOB, '**/{node_modules,.git,.model-lab}/**', 500));
    const files = await this.experimentFiles;
    const roots = [...new Set(files.map((f) => runsRootFor(f.fsPath)))];
    return (await Promise.all(roots.map((r) => this.listCached(r)))).flat();
  }

  /** All runs under a runs root, newest first. */
  listCached(root: string): Promise<RunRecord[]> {
    const hit = this.cache.get(root);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const value = listRuns(root);
    this.cache.set(root, { at: Date.now(), value });
    return value;
  }

  async latest(experimentFile: string): Promise<LatestRun | undefined> {
    const live = this.manager.activeFor(experimentFile);
    if (live) return { runId: live.runId, runDir: live.runDir, status: 'running', events: live.events };
    const [record] = await this.runsOf(experimentFile);
    if (!record) return undefined;
    return { record, runId: record.runId, runDir: record.runDir, status: record.status, events: await readEvents(record.runDir) };
  }

  dispose(): void {
    this.watcher.dispose();
    this.experimentWatcher.dispose();
    this.workspaceFolders.dispose();
    this.changed.dispose();
    this.created.dispose();
  }
}
