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
