import * as path from 'node:path';
import { isTrainRun, type RunRecord } from '../../runner/runStore';
import { formatAgo, formatPercent, formatSeconds } from '../../panels/shared/format';

/**
 * How the Runs view arranges and describes runs: one group per experiment file (newest run
 * first), each run described by policy, status, accuracy and time. Pure, for tests.
 */
export interface RunGroup {
  experimentFile: string;
  /** Experiment name from the newest run (what the file called itself then). */
  experiment: string;
  runs: RunRecord[];
}

export function groupRuns(records: readonly RunRecord[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const r of records) {
    const key = path.resolve(r.experimentFile);
    let g = groups.get(key);
    if (!g) {
      g = { experimentFile: key, experiment: r.experiment, runs: [] };
      groups.set(key, g);
    }
    if (!g.runs.some((x) => x.runDir === r.runDir)) g.runs.push(r);
  }
  for (const g of groups.values()) g.runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return [...groups.values()].sort((a, b) => b.runs[0].startedAt.localeCompare(a.runs[0].startedAt));
}

/** Tree item description: "95.1% · 12.3 s · 3 min ago" (or progress for a live run). */
export function describeRun(r: RunRecord, now: Date = new Date()): string {
  const parts: string[] = [];
  if (r.status === 'running') {
    if (!isTrainRun(r)) parts.push('running');
    else if (r.paused) parts.push(`paused after epoch ${r.epochsDone}/${r.epochs}`);
    else parts.push(`epoch ${Math.min(r.epochsDone + 1, r.epochs)}/${r.epochs}`);
  } else if (r.status === 'failed' && r.message) parts.push(`failed: ${shorten(String(r.message), 80)}`);
  else if (r.status !== 'completed') parts.push(r.status);
  if (r.accuracy !== undefined) parts.push(formatPercent(r.accuracy));
  if (r.score) parts.push(`${r.score.name} ${formatPercent(r.score.value)}`);
  if (r.trainSeconds !== undefined) parts.push(formatSeconds(r.trainSeconds));
  parts.push(formatAgo(r.startedAt, now));
  return parts.filter(Boolean).join(' · ');
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Runs that can continue from their last checkpoint (other kinds than train start over). */
export function canResume(r: RunRecord): boolean {
  return (r.status === 'interrupted' || r.status === 'cancelled') && r.epochsDone < r.epochs;
}

/** The runs of one sweep, in point order (a sweep's runs appear in the Runs view under one node). */
export interface SweepGroup {
  sweepId: string;
  /** Points the sweep has (some may not have a run yet). */
  count: number;
  runs: RunRecord[];
  /**
   * The points without a run will not start unless the sweep is resumed (it was cancelled, or
   * Slurm no longer holds their tasks); otherwise they are queued.
   */
  stopped?: boolean;
}

/** The sweep's folder (`sweep.json`): beside its points' run folders in the run store. */
export function sweepDirOf(g: SweepGroup): string {
  return path.join(path.dirname(g.runs[0].runDir), g.sweepId);
}

/** Some point is running, or waits for its turn. */
export function isSweepRunning(g: SweepGroup): boolean {
  return g.runs.some((r) => r.status === 'running') || (g.runs.length < g.count && !g.stopped);
}

/** Resume Sweep has something to do: nothing runs, and some point never started or ended before completing. */
export function canResumeSweep(g: SweepGroup): boolean {
  return !isSweepRunning(g) && (g.runs.length < g.count || g.runs.some((r) => r.status === 'cancelled' || r.status === 'interrupted' || r.status === 'failed'));
}

/** An experiment's children in the Runs view: its sweeps and its other runs, newest first. */
export type ExperimentChild = { kind: 'sweep'; sweep: SweepGroup } | { kind: 'run'; run: RunRecord };

export function experimentChildren(runs: readonly RunRecord[]): ExperimentChild[] {
  const sweeps = new Map<string, SweepGroup>();
  const children: ExperimentChild[] = [];
  for (const r of runs) {
    if (!r.sweep) {
      children.push({ kind: 'run', run: r });
      continue;
    }
    let g = sweeps.get(r.sweep.id);
    if (!g) {
      g = { sweepId: r.sweep.id, count: r.sweep.count, runs: [] };
      sweeps.set(r.sweep.id, g);
      children.push({ kind: 'sweep', sweep: g });
    }
    g.runs.push(r);
  }
  for (const g of sweeps.values()) g.runs.sort((a, b) => (a.sweep?.index ?? 0) - (b.sweep?.index ?? 0));
  const newest = (c: ExperimentChild) => (c.kind === 'run' ? c.run.startedAt : c.sweep.runs.reduce((m, r) => (r.startedAt > m ? r.startedAt : m), ''));
  return children.sort((a, b) => newest(b).localeCompare(newest(a)));
}

/** A sweep point's label: its values by the last part of each pointer, `learningRate=0.003, policy=none`. */
export function pointLabel(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return 'no parameters';
  return entries.map(([k, v]) => `${k.split('/').pop()}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** "4 points · 3 completed · 1 running · best 95.1%". */
export function describeSweep(g: SweepGroup): string {
  const counts = new Map<string, number>();
  for (const r of g.runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const notStarted = g.count - g.runs.length;
  const parts = [`${g.count} point${g.count === 1 ? '' : 's'}`, ...[...counts].map(([s, n]) => `${n} ${s}`)];
  if (notStarted > 0) parts.push(`${notStarted} ${g.stopped ? 'not started' : 'queued'}`);
  const best = bestRun(g);
  if (best) parts.push(`best ${formatPercent(best.accuracy ?? best.score?.value ?? 0)}`);
  return parts.join(' · ');
}

/** The completed run with the highest accuracy (or headline score). */
export function bestRun(g: SweepGroup): RunRecord | undefined {
  const value = (r: RunRecord) => r.accuracy ?? r.score?.value;
  return g.runs
    .filter((r) => r.status === 'completed' && Number.isFinite(value(r)))
    .reduce<RunRecord | undefined>((best, r) => (best === undefined || (value(r) as number) > (value(best) as number) ? r : best), undefined);
}

/** "Sweep 2026-12-06 22:50:06" from the sweep id's time stamp (`20261206-225006-...`, UTC), else the id. */
export function sweepTitle(g: SweepGroup): string {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(g.sweepId);
  return m ? `Sweep ${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}` : `Sweep ${g.sweepId}`;
}
