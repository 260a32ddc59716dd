import type { FreezingPolicyName } from '../core/experiment/types';
import { classMappingText } from '../core/data/classNames';
import { UserError } from '../core/errors';
import type { ExtractionScores } from '../core/extract/eval';
import { perTypeText } from './extract';
import { runJob } from '../runner/runJob';
import { readRunRecord, readSummary } from '../runner/runStore';
import { pointRequest, readSweepPlan } from '../runner/sweepPlan';
import type { DistillSummary, RunSummary } from '../runner/summary';
import { parseCliArgs } from './args';
import type { CliIO, Subcommand } from './io';
import { diffusionSummaryLines } from './diffusionSummary';
import { ProgressBar } from './progressBar';

const POLICIES: FreezingPolicyName[] = ['none', 'static', 'linear', 'autofreeze', 'smartfrz'];

export const RUN_USAGE = `model-lab run FILE [--json] [--out DIR] [--policy none|static|linear|autofreeze|smartfrz [--policy-option KEY=VALUE]...] [--algo ALGO] [--backend auto|tensorflow|wasm|cpu] [--threads N]
model-lab run --resume RUN_DIR [--json] [--force]
model-lab run --sweep SWEEP_DIR --point I [--json]   (a sweep's point: what each Slurm array task runs)
  --policy-option sets an option of --policy over the file's freezing settings, e.g.
  --policy static --policy-option prefix=1 --policy-option atEpoch=5 (VALUE is JSON, else text)
  --threads N: threads for the training kernels (default: every core; 1: one thread; the same results either way)`;

/** `model-lab run`: trains an experiment in this process, against the same run store as the extension. */
export const runCommand: Subcommand = async (argv, io) => {
  const { values, positionals } = parseCliArgs(argv, {
    json: { type: 'boolean' },
    out: { type: 'string' },
    policy: { type: 'string' },
    algo: { type: 'string' },
    'policy-option': { type: 'string', multiple: true },
    resume: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    force: { type: 'boolean' },
    sweep: { type: 'string' },
    point: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(RUN_USAGE + '\n');
    return 0;
  }
  const threads = parseThreads(values.threads);
  if (values.sweep !== undefined || values.point !== undefined) {
    if (values.sweep === undefined || values.point === undefined) throw new UserError('--sweep and --point go together: the sweep folder and the index of its point');
    if (positionals.length > 0 || values.resume || values.policy || values.out) throw new UserError('a sweep\'s point runs as planned: no FILE, --resume, --policy or --out with --sweep');
    return runSweepPoint(io, values.sweep, values.point, { json: values.json, backend: values.backend, threads, force: values.force });
  }
  if (values.policy !== undefined && !POLICIES.includes(values.policy as FreezingPolicyName)) {
    throw new UserError(`--policy: unknown policy "${values.policy}"; expected one of ${POLICIES.join(', ')}`);
  }
  if (!values.resume && positionals.length !== 1) throw new UserError(`expected one experiment file\nusage: ${RUN_USAGE}`);
  if (values.resume && values.policy) throw new UserError('--policy cannot change a resumed run');
  if (values.resume && values.algo) throw new UserError('--algo cannot change a resumed run');
  const policyOptions = parsePolicyOptions(values['policy-option'] ?? []);
  if (policyOptions && !values.policy) throw new UserError('--policy-option needs --policy (the policy whose option it sets)');

  const summary = await runWithProgress(io, {
    experimentFile: positionals[0] ?? '',
    policy: values.policy as FreezingPolicyName | undefined,
    algo: values.algo,
    policyOptions,
    outRoot: values.out,
    resumeDir: values.resume,
    backend: values.backend,
    threads,
    force: values.force,
  });
  if (values.json) io.stdout(JSON.stringify(summary) + '\n');
  else io.stdout(formatSummary(summary) + '\n');
  if (summary.status === 'cancelled') {
    io.stderr(`stopped; resume with: model-lab run --resume ${summary.runDir}\n`);
    return 130;
  }
  if (summary.status === 'diverged') {
    io.stderr(`model-lab: ${summary.message ?? 'training diverged'}\n`);
    return 1;
  }
  return 0;
};

/**
 * One point of a planned sweep: a new run with the planned id, or the resume of its folder when
 * the point has begun (a requeued or resubmitted Slurm task); a completed point is reported as is.
 */
async function runSweepPoint(io: CliIO, sweep: string, pointText: string, opts: { json?: boolean; backend?: string; threads?: number; force?: boolean }): Promise<number> {
  if (!/^(0|[1-9]\d*)$/.test(pointText)) throw new UserError(`--point: expected a point index (0, 1, ...), got "${pointText}"`);
  const plan = await readSweepPlan(sweep);
  const request = await pointRequest(plan, Number(pointText));
  if (request.resumeDir && (await readRunRecord(request.resumeDir))?.status === 'completed') {
    const summary = await readSummary(request.resumeDir);
    io.stderr(`point ${pointText} already completed: ${request.resumeDir}\n`);
    if (summary) io.stdout((opts.json ? JSON.stringify(summary) : formatSummary(summary)) + '\n');
    return 0;
  }
  const summary = await runWithProgress(io, { ...request, backend: opts.backend, threads: opts.threads, force: opts.force });
  io.stdout((opts.json ? JSON.stringify(summary) : formatSummary(summary)) + '\n');
  if (summary.status === 'cancelled') return 130;
  return summary.status === 'diverged' ? 1 : 0;
}

/** `--threads N`: a whole number of at least 1 (undefined: the default, every core). */
export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text)) throw new UserError(`--threads: expected a whole number of at least 1, got "${text}"`);
  return Number(text);
}

/** `KEY=VALUE` pairs; a VALUE that is JSON (`5`, `["fc1"]`, `true`) is that value, else the text. */
function parsePolicyOptions(pairs: string[]): Record<string, unknown> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z][\w]*)=(.*)$/s.exec(pair);
    if (!m) throw new UserError(`--policy-option: expected KEY=VALUE (e.g. prefix=1), got "${pair}"`);
    if (m[1] === 'policy') throw new UserError('--policy-option: set the policy with --policy');
    try {
      out[m[1]] = JSON.parse(m[2]);
    } catch {
      out[m[1]] = m[2];
    }
  }
  return out;
}

async function runWithProgress(io: CliIO, req: Parameters<typeof runJob>[0]): Promise<RunSummary> {
  const bar = new ProgressBar(io.stderr, io.isTTY);
  let totalSteps = 1;
  let epochs = 1;
  let lastEpoch = '';
  const summary = await runJob(
    req,
    {
      // Once the run folder exists, a stop is honoured within a step and must then finish
      // writing the checkpoint and the record: a repeated Ctrl-C must not cut that short.
      runDir: () => io.holdExitUntilDone?.(),
      log: (level, message) => bar.message(level === 'info' ? message : `${level}: ${message}`),
      event: (e) => {
        switch (e.type) {
          case 'start':
            epochs = e.epochs;
            totalSteps = Math.max(1, e.epochs * e.stepsPerEpoch);
            bar.message(`${e.experiment}: ${e.trainExamples} train / ${e.testExamples} test examples, ${e.epochs} epochs, policy ${e.policy}`);
            if (e.classNames) bar.message(`classes: ${classMappingText(e.classNames)}`);
            break;
          case 'step':
            bar.update(e.step / totalSteps, `epoch ${e.epoch + 1}/${epochs} loss ${e.loss.toFixed(4)}${lastEpoch}`);
            break;
          case 'epoch':
            lastEpoch = ` | test acc ${(e.testAccuracy * 100).toFixed(2)}%`;
            bar.update((e.epoch + 1) / epochs, `epoch ${e.epoch + 1}/${epochs} loss ${e.loss.toFixed(4)}${lastEpoch}`);
            break;
          case 'freeze':
            bar.message(`froze ${e.layer} at epoch ${e.epoch + 1} (step ${e.step})${e.reason ? `: ${e.reason}` : ''}`);
            break;
          case 'progress':
            bar.update(e.fraction, e.message);
            break;
        }
      },
    },
    () => io.signal.aborted,
  );
  bar.done();
  return summary;
}

function indented(text: string): string[] {
  return text ? text.trimEnd().split('\n').map((l) => `  ${l}`) : [];
}

/** A distill run as a table: the teacher, then each arm (accuracy, size and speed against the teacher). */
function distillTable(s: DistillSummary): string[] {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '-');
  const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
  const rows = [
    ['', 'accuracy', 'parameters', 'ms/example', 'smaller', 'faster', 'train s'],
    ['teacher', pct(s.teacher.accuracy), String(s.teacher.parameters), ms(s.teacher.msPerExample), '', '', ''],
    ...s.arms.map((a) => [
      a.name, pct(a.accuracy), String(a.parameters), ms(a.msPerExample),
      `${(s.teacher.parameters / a.parameters).toFixed(1)}x`,
      Number.isFinite(a.msPerExample) && Number.isFinite(s.teacher.msPerExample) ? `${(s.teacher.msPerExample / a.msPerExample).toFixed(1)}x` : '-',
      a.trainSeconds.toFixed(1),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [
    `${s.status} ${s.experiment} (distill): ${s.arms.length} arm${s.arms.length === 1 ? '' : 's'}`,
    ...rows.map((r) => '  ' + r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ')),
  ];
}

function formatSummary(s: RunSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const scores = (label: string, x: ExtractionScores) =>
    `  ${label}: entity F1 ${pct(x.entity.f1)} (P ${pct(x.entity.precision)}, R ${pct(x.entity.recall)}), strict relation F1 ${pct(x.relation.f1)}, ${x.sentences} sentences`;
  const lines: string[] = [];
  switch (s.kind) {
    case 'extract-train':
      lines.push(`${s.status} ${s.experiment} (extract-train, ${s.backend}) in ${s.trainSeconds.toFixed(1)} s`);
      if (s.dev) lines.push(scores('dev', s.dev));
      if (s.dev?.perType) lines.push(...indented(perTypeText(s.dev)));
      if (s.modelFile) lines.push(`  model: ${s.modelFile}`);
      break;
    case 'extract-eval':
      lines.push(`${s.status} ${s.experiment} (extract-eval, provider ${s.provider}) in ${s.seconds.toFixed(1)} s`);
      if (s.scores) lines.push(scores('scores', s.scores), `  ungrounded spans dropped: ${s.scores.ungrounded}`);
      if (s.scores?.perType) lines.push(...indented(perTypeText(s.scores)));
      break;
    case 'distill':
      lines.push(...distillTable(s));
      break;
    case 'skills':
      lines.push(
        `${s.status} ${s.experiment} (skills, ${s.algo}, ${s.backend}) in ${s.trainSeconds.toFixed(1)} s`,
        `  coverage ${s.coverage} cells, mean final distance ${s.finalDistance.toFixed(2)} of ${s.maxDistance.toFixed(2)} (epoch ${s.epochsDone})`,
      );
      if (s.skills) lines.push(`  skills: ${s.skills}`);
      break;
    case 'offline-gcrl':
      lines.push(`${s.status} ${s.experiment} (offline-gcrl, ${s.algo}, ${s.backend}) in ${s.trainSeconds.toFixed(1)} s: success ${pct(s.successRate)}`);
      for (const t of s.tasks) lines.push(`  [${t.start}] -> [${t.goal}]: ${pct(t.successRate)}`);
      break;
    case 'diffusion-policy':
    case 'diffusion':
      lines.push(...diffusionSummaryLines(s));
      break;
    default:
      lines.push(
        `${s.status} ${s.experiment} (${s.policy}, ${s.backend}): ` +
          (Number.isFinite(s.metrics.accuracy) ? `test accuracy ${pct(s.metrics.accuracy)}, loss ${s.metrics.loss.toFixed(4)}` : 'no epoch completed'),
        `  ${s.epochsDone}/${s.epochs} epochs in ${s.trainSeconds.toFixed(1)} s (${Math.round(s.samplesPerSecond)} samples/s)`,
        `  backward FLOPs saved ${(s.flopsSaved.backward * 100).toFixed(1)}%, forward ${(s.flopsSaved.forward * 100).toFixed(1)}%`,
      );
      for (const f of s.freezeEvents) lines.push(`  froze ${f.layer} at epoch ${f.epoch + 1} (step ${f.step})`);
      if (s.classNames) lines.push(`  classes: ${classMappingText(s.classNames)}`);
  }
  lines.push(`  run folder: ${s.runDir}`);
  return lines.join('\n');
}
