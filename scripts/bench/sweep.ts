/**
 * Local sweep speed-up: a 4-point sweep of the digits example (`examples/digits/digits-sweep.experiment.json`)
 * run with `model-lab sweep --parallel 2` against the same points run one after another, each in
 * a process of its own as a user running them one by one would (`--parallel 1
 * --process-per-point`: a new run process per point, like `model-lab run --sweep DIR --point I`
 * in a loop, minus the CLI's own start-up per point), in the same bench run. Issue 19's target:
 * parallel <= 0.65x sequential. Also measured, to show where the time goes: the points one after
 * another in one point worker (`--parallel 1`), and two at once with a process per point
 * (`--parallel 2 --process-per-point`, the local executor before point workers).
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

function sweep(n: number, executor = 'local', extra: string[] = []): { seconds: number; doc: Doc; trainSeconds: number; cpuSeconds: number; load: string } {
  const out = mkdtempSync(path.join(tmpdir(), 'ml-bench-sweep-'));
  const cpu0 = childCpuSeconds();
  const load0 = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const args = ['sweep', file, '--executor', executor, ...(executor === 'local' ? ['--parallel', String(n)] : []), ...extra, '--wait', '--json', '--out', out];
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`sweep ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as Doc;
  const trainSeconds = doc.runs.map((p) => JSON.parse(readFileSync(path.join(p.runDir, 'summary.json'), 'utf8')).trainSeconds as number).reduce((a, b) => a + b, 0) / doc.runs.length;
  rmSync(out, { recursive: true, force: true });
  return { seconds, doc, trainSeconds, cpuSeconds: childCpuSeconds() - cpu0, load: `load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}` };
}

console.log(`sweep bench: ${path.relative(root, file)}, ${availableParallelism()} cores`);
const arms = [
  { name: 'sequential', what: `--parallel 1 --process-per-point (one point after another, each in a new run process)`, run: () => sweep(1, 'local', ['--process-per-point']) },
  { name: 'one worker', what: `--parallel 1 (one point after another in one point worker)`, run: () => sweep(1) },
  { name: 'parallel', what: `--parallel ${parallel} (${parallel} point workers, the default executor)`, run: () => sweep(parallel) },
  { name: 'parallel, process per point', what: `--parallel ${parallel} --process-per-point (${parallel} at once, each in a new run process)`, run: () => sweep(parallel, 'local', ['--process-per-point']) },
].map((arm) => ({ ...arm, ...arm.run() }));
const [seq, oneWorker, par, parFresh] = arms;
const accuracies = (d: Doc) => d.runs.map((p) => p.metrics?.accuracy);
const same = arms.every((a) => JSON.stringify(accuracies(a.doc)) === JSON.stringify(accuracies(seq.doc)));
console.log(`points: ${seq.doc.runs.length}, all completed: ${arms.every((a) => a.doc.runs.every((p) => p.status === 'completed'))}, same accuracies in every arm: ${same}`);
for (const a of arms) {
  console.log(`${a.name}: sweep ${a.what}: ${a.seconds.toFixed(1)} s wall, ${a.cpuSeconds.toFixed(1)} CPU s (mean ${a.trainSeconds.toFixed(2)} s training per point; ${a.load})`);
}
console.log(`ratio parallel/sequential: ${(par.seconds / seq.seconds).toFixed(3)} (target <= 0.65)`);
console.log(`  parts: point workers alone (one worker/sequential): ${(oneWorker.seconds / seq.seconds).toFixed(3)}; ${parallel} at once alone (parallel/one worker): ${(par.seconds / oneWorker.seconds).toFixed(3)}; ${parallel} at once with a process per point: ${(parFresh.seconds / seq.seconds).toFixed(3)}`);

if (spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status === 0) {
  const slurm = sweep(0, 'slurm');
  const sameAsLocal = JSON.stringify(accuracies(slurm.doc)) === JSON.stringify(accuracies(seq.doc));
  console.log(`--executor slurm: ${slurm.seconds.toFixed(1)} s wall (mean ${slurm.trainSeconds.toFixed(1)} s training per point; ${slurm.load}), same accuracies as local: ${sameAsLocal}`);
  console.log(`ratio slurm/local --parallel ${parallel}: ${(slurm.seconds / par.seconds).toFixed(3)}`);
} else console.log('no Slurm cluster (sinfo failed): the Slurm comparison is skipped');
