/**
 * Stop latency: how long `model-lab run` takes to honour Ctrl-C (SIGINT) or SIGTERM, measured
 * on the real CLI (a child process, real signals), per backend. Issue 20 item 1: a run must stop
 * within 1 s (or one step, whichever is longer) of the request, checkpoint at that step and
 * exit 130.
 *
 *   npm run bench:stop --
 *        [--experiment examples/fashion-mnist/fashion-cnn.experiment.json] [--backends auto,cpu]
 *        [--limit N] [--signal SIGINT|SIGTERM] [--repeat 1]
 *
 * For each backend: start the run, wait until it has reported a training step in its
 * `events.jsonl` (so the request lands mid-epoch), send the signal, and time until the process
 * exits. Reports the seconds per step the run itself measured (from its step events), the stop
 * latency and its ratio to one step, the exit code, the run's final status and the step its
 * last checkpoint was written at. The default experiment is the README's full-size
 * Fashion-MNIST CNN (Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';

function option(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] !== undefined ? process.argv[k + 1] : fallback;
}

const root = path.resolve(__dirname, '..', '..');
const experimentFile = path.resolve(option('experiment', path.join(root, 'examples', 'fashion-mnist', 'fashion-cnn.experiment.json')));
const backends = option('backends', 'auto,cpu').split(',');
const limit = option('limit', '');
const signal = option('signal', 'SIGINT') as NodeJS.Signals;
const repeat = Number(option('repeat', '1'));
const bin = path.join(root, 'bin', 'model-lab.js');

interface Measured {
  backend: string;
  secondsPerStep: number;
  stopSeconds: number;
  exitCode: number | null;
  status: string;
  stepAtSignal: number;
  checkpointStep?: number;
  jsonOk: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
}

async function measure(backend: string): Promise<Measured> {
  const work = mkdtempSync(path.join(tmpdir(), 'ml-stop-bench-'));
  const exp = parse(readFileSync(experimentFile, 'utf8'));
  exp.training.epochs = Math.max(exp.training.epochs ?? 1, 3);
  if (limit) exp.data.limit = Number(limit);
  // Absolute data paths, so the copy can live anywhere.
  const dir = path.dirname(experimentFile);
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(dir, p));
  if (exp.data.format === 'idx') {
    for (const split of ['train', 'test'] as const) if (exp.data[split]) for (const k of ['images', 'labels']) exp.data[split][k] = abs(exp.data[split][k]);
  } else {
    for (const split of ['train', 'test'] as const) if (exp.data[split]) exp.data[split] = abs(exp.data[split]);
  }
  const file = path.join(work, 'bench.experiment.json');
  writeFileSync(file, JSON.stringify(exp));
  const out = path.join(work, 'runs');
  const child = spawn(process.execPath, [bin, 'run', file, '--json', '--out', out, '--backend', backend], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let runDir: string | undefined;
  let steps: Record<string, unknown>[] = [];
  let done = false;
  void exited.then(() => (done = true));
  // Wait (polling the run store) until two step events are on disk: then the run is mid-epoch.
  while (!done) {
    if (!runDir && existsSync(out)) {
      const d = readdirSync(out).find((n) => existsSync(path.join(out, n, 'run.json')));
      if (d) runDir = path.join(out, d);
    }
    if (runDir) {
      steps = readLines(path.join(runDir, 'events.jsonl')).filter((e) => e.type === 'step');
      if (steps.length >= 2) break;
    }
    await sleep(20);
  }
  if (done || !runDir) throw new Error(`the run ended before it could be stopped:\n${stderr}`);
  const [a, b] = steps.slice(-2) as { step: number; seconds: number }[];
  const secondsPerStep = (b.seconds - a.seconds) / (b.step - a.step);
  const t0 = performance.now();
  child.kill(signal);
  const exitCode = await exited;
  const stopSeconds = (performance.now() - t0) / 1000;
  const events = readLines(path.join(runDir, 'events.jsonl'));
  const checkpoints = events.filter((e) => e.type === 'checkpoint');
  const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { status: string; backend?: string };
  let jsonOk = false;
  try {
    JSON.parse(stdout);
    jsonOk = true;
  } catch {
    jsonOk = false;
  }
  rmSync(work, { recursive: true, force: true });
  return {
    backend: record.backend ?? backend,
    secondsPerStep,
    stopSeconds,
    exitCode,
    status: record.status,
    stepAtSignal: b.step,
    checkpointStep: checkpoints.length ? (checkpoints[checkpoints.length - 1].step as number) : undefined,
    jsonOk,
  };
}

async function main(): Promise<void> {
  if (!existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('build first: npm run build');
  console.log(`${path.relative(root, experimentFile)}${limit ? `, limit ${limit}` : ''}, ${signal} after the second logged step`);
  const rows: Measured[] = [];
  for (const backend of backends) {
    for (let i = 0; i < repeat; i++) {
      const m = await measure(backend);
      console.log(`  ${m.backend}: ${m.stopSeconds.toFixed(2)} s to exit (${m.secondsPerStep.toFixed(3)} s/step), exit ${m.exitCode}, status ${m.status}, checkpoint at step ${m.checkpointStep ?? '-'}`);
      rows.push(m);
    }
  }
  console.log('| backend | s/step | stop latency s | latency / max(1 s, step) | exit | status | logged step at signal | checkpoint step | --json parses |');
  console.log('|---------|-------:|---------------:|-------------------------:|-----:|--------|-----------------:|----------------:|---------------|');
  for (const m of rows) {
    console.log(
      `| ${m.backend} | ${m.secondsPerStep.toFixed(3)} | ${m.stopSeconds.toFixed(2)} | ${(m.stopSeconds / Math.max(1, m.secondsPerStep)).toFixed(2)} | ${m.exitCode} | ${m.status} | ${m.stepAtSignal} | ${m.checkpointStep ?? '-'} | ${m.jsonOk ? 'yes' : 'no'} |`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
