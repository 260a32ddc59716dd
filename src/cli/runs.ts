import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { UserError } from '../core/errors';
import { diffRuns, formatParam } from '../core/runs/compare';
import { findRunsRoots, listRunEntriesIn, resolveRun, type RunEntry } from '../runner/runCatalog';
import { parseCliArgs } from './args';
import type { CliIO, Subcommand } from './io';

export const RUNS_USAGE = `model-lab runs list [--root DIR] [--json]
model-lab runs diff A B [--root DIR] [--json]
  A and B: run folders, or run ids (a unique prefix will do) or names under the runs root;
  without --root, every .model-lab/runs folder under the current folder`;

/** `model-lab runs list|diff`: the run store as the runs table sees it (`runner/runCatalog.ts`). */
export const runsCommand: Subcommand = async (argv, io) => {
  const [action, ...rest] = argv;
  const { values, positionals } = parseCliArgs(rest, { root: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help || action === '--help' || action === '-h') {
    io.stdout(RUNS_USAGE + '\n');
    return 0;
  }
  if (action !== 'list' && action !== 'diff') throw new UserError(`expected "runs list" or "runs diff A B" (see model-lab runs --help)`);
  const entries = await entriesFor(values.root, io.cwd);
  if (action === 'list') {
    if (positionals.length) throw new UserError(`runs list takes no arguments (got "${positionals[0]}"); use --root DIR`);
    io.stdout(values.json ? JSON.stringify(entries) + '\n' : formatList(entries));
    return 0;
  }
  if (positionals.length !== 2) throw new UserError(`runs diff takes two runs, got ${positionals.length}: model-lab runs diff A B [--root DIR] [--json]`);
  const [a, b] = await Promise.all(positionals.map((p) => resolveRun(p, io.cwd, entries)));
  const diff = diffRuns(a, b);
  if (values.json) io.stdout(JSON.stringify(diff) + '\n');
  else io.stdout(formatDiff(a, b, diff));
  return 0;
};

async function entriesFor(root: string | undefined, cwd: string): Promise<RunEntry[]> {
  if (root === undefined) return listRunEntriesIn(await findRunsRoots(cwd));
  const dir = path.resolve(cwd, root);
  if (!existsSync(dir)) throw new UserError(`--root: no such folder: ${dir}`);
  return listRunEntriesIn([dir]);
}

function formatList(entries: readonly RunEntry[]): string {
  if (entries.length === 0) return 'no runs\n';
  const rows = entries.map((e) => [
    e.name ?? e.runId, e.status, e.kind === 'train' ? e.policy : e.kind,
    Object.entries(e.metrics).slice(0, 3).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', '),
    e.tags.join(', '),
  ]);
  const header = ['run', 'status', 'policy/kind', 'metrics', 'tags'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function formatDiff(a: RunEntry, b: RunEntry, diff: ReturnType<typeof diffRuns>): string {
  const lines = [`a: ${a.runDir}`, `b: ${b.runDir}`];
  lines.push(diff.config.length ? 'config:' : 'config: the same');
  for (const d of diff.config) lines.push(`  ${d.path}: ${formatParam(d.a)} -> ${formatParam(d.b)}`);
  const metrics = Object.entries(diff.metrics);
  lines.push(metrics.length ? 'metrics:' : 'metrics: the same');
  for (const [k, m] of metrics) lines.push(`  ${k}: ${m.a ?? '—'} -> ${m.b ?? '—'}${m.delta !== undefined ? ` (${m.delta >= 0 ? '+' : ''}${m.delta.toFixed(4)})` : ''}`);
  lines.push(diff.provenance.length ? 'provenance:' : 'provenance: the same');
  for (const d of diff.provenance) lines.push(`  ${d.path}: ${formatParam(d.a)} -> ${formatParam(d.b)}`);
  return lines.join('\n') + '\n';
}
