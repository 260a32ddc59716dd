/**
 * Local sweep speed-up: a 4-point sweep of the digits example (`examples/digits/digits-sweep.experiment.json`)
 * run with `model-lab sweep --parallel 2` against the same sweep run one point after another
 * (`--parallel 1`), in the same bench run. Issue 19's target: parallel <= 0.65x sequential.
 *
 *   npm run bench:sweep -- [--experiment FILE] [--parallel 2]
 *
 * Runs the real CLI (bundled: `npm run build` first) in child processes; wall-clock time of
 * each whole sweep, and the mean training seconds per point the runs themselves measured (a
 * busy machine shows as slower points in both modes). Also checks that both modes trained the
 * same points to the same accuracies. Where a Slurm cluster answers (`sinfo`; e.g.
 * `scripts/slurm/single-node.sh start`), the same sweep as one job array too, against local
 * `--parallel` (the one-node cluster here runs as many tasks at once as it has cores).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';

function option(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] !== undefined ? process.argv[k + 1] : fallback;
}

const root = path.resolve(__dirname, '..', '..');
const file = path.resolve(option('experiment', path.join(root, 'examples', 'digits', 'digits-sweep.experiment.json')));
const parallel = Number(option('parallel', '2'));

interface Doc { runs: { params: Record<string, unknown>; status: string; metrics?: { accuracy: number }; runDir: string }[] }

/**
 * CPU seconds (user + system) of this process's waited-for descendants (Linux: `/proc/self/stat`
 * cutime + cstime): the CLI and the run processes it waits for. Slurm tasks run under slurmd and
 * are not counted.
 */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

function sweep(n: number, executor = 'local'): { seconds: number; doc: Doc; trainSeconds: number; cpuSeconds: number; load: string } {
  const out = mkdtempSync(path.join(tmpdir(), 'ml-bench-sweep-'));
  const cpu0 = childCpuSeconds();
  const load0 = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const args = ['sweep', file, '--executor', executor, ...(executor === 'local' ? ['--parallel', String(n)] : []), '--wait', '--json', '--out', out];
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`sweep ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as Doc;
  const trainSeconds = doc.runs.map((p) => JSON.parse(readFileSync(path.join(p.runDir, 'summary.json'), 'utf8')).trainSeconds as number).reduce((a, b) => a + b, 0) / doc.runs.length;
  rmSync(out, { recursive: true, force: true });
  return { seconds, doc, trainSeconds, cpuSeconds: childCpuSeconds() - cpu0, load: `load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}` };
}

console.log(`sweep bench: ${path.relative(root, file)}, ${availableParallelism()} cores`);
const seq = sweep(1);
const par = sweep(parallel);
const accuracies = (d: Doc) => d.runs.map((p) => p.metrics?.accuracy);
const same = JSON.stringify(accuracies(seq.doc)) === JSON.stringify(accuracies(par.doc));
console.log(`points: ${seq.doc.runs.length}, all completed: ${[...seq.doc.runs, ...par.doc.runs].every((p) => p.status === 'completed')}, same accuracies in both modes: ${same}`);
console.log(`--parallel 1: ${seq.seconds.toFixed(1)} s wall, ${seq.cpuSeconds.toFixed(1)} CPU s (mean ${seq.trainSeconds.toFixed(1)} s training per point; ${seq.load})`);
console.log(`--parallel ${parallel}: ${par.seconds.toFixed(1)} s wall, ${par.cpuSeconds.toFixed(1)} CPU s (mean ${par.trainSeconds.toFixed(1)} s training per point; ${par.load})`);
console.log(`ratio parallel/sequential: ${(par.seconds / seq.seconds).toFixed(3)} (target <= 0.65)`);

if (spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status === 0) {
  const slurm = sweep(0, 'slurm');
  const same = JSON.stringify(accuracies(slurm.doc)) === JSON.stringify(accuracies(seq.doc));
  console.log(`--executor slurm: ${slurm.seconds.toFixed(1)} s wall (mean ${slurm.trainSeconds.toFixed(1)} s training per point; ${slurm.load}), same accuracies as local: ${same}`);
  console.log(`ratio slurm/local --parallel ${parallel}: ${(slurm.seconds / par.seconds).toFixed(3)}`);
} else console.log('no Slurm cluster (sinfo failed): the Slurm comparison is skipped');
