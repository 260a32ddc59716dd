import { totalmem } from 'node:os';
import * as path from 'node:path';
import { isUserError, UserError } from '../core/errors';
import { CANONICALIZATIONS, Canonicalization } from '../core/reward/canonicalize';
import { parseCanonicalization } from '../core/reward/names';
import { Norm, NORMS, Normalization, parseNormalization } from '../core/reward/norms';
import { defaultHorizon } from '../core/reward/montecarlo';
import { REGRET_EVALUATIONS, regretCorrelation, type RegretEvaluation } from '../core/reward/regretCorrelation';
import { checkComparisonSize, describeEstimate } from '../core/reward/estimate';
import { loadRewardModel } from '../core/reward/learnedReward';
import { loadRewardsFile } from '../core/reward/rewardsFile';
import { pairwiseDistanceSteps, type DistanceMatrix } from '../core/reward/starc';
import { runCooperatively } from '../core/util/steps';
import { parseCliArgs } from './args';
import type { CliIO, Subcommand } from './io';
import { ProgressBar } from './progressBar';

export const REWARDS_USAGE = `model-lab rewards distance FILE [--canon val|epic|dard|minimal|none] [--norm N] [--metric M] [--json]
model-lab rewards regret-correlation [--mdps 128] [--pairs 8] [--steps 16] [--seed 42]
    [--regret exact|monte-carlo] [--episodes 128] [--horizon 224] [--clamp-regret] [--json]
  N: 1, 2, inf, weighted_1, weighted_2, weighted_inf, none (default 2); M: the same except none (default 2)`;

/**
 * `model-lab rewards ...`: STARC/EPIC/DARD distances between the rewards of a `*.rewards.json`
 * file, and the paper's regret-correlation experiment. Bad input: one line on stderr, exit 2.
 */
export const rewardsCommand: Subcommand = async (argv, io) => {
  try {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'distance':
        return await distanceCommand(rest, io);
      case 'regret-correlation':
        return await regretCorrelationCommand(rest, io);
      case undefined:
        io.stderr(`model-lab rewards: expected a subcommand\n${REWARDS_USAGE}\n`);
        return 2;
      case '--help':
      case '-h':
      case 'help':
        io.stdout(REWARDS_USAGE + '\n');
        return 0;
      default:
        throw new UserError(`unknown subcommand "${sub}" (expected distance or regret-correlation)`);
    }
  } catch (e) {
    if (isUserError(e)) {
      io.stderr(`model-lab rewards: ${e.format()}\n`);
      return 2;
    }
    throw e;
  }
};

async function distanceCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCliArgs(argv, {
    canon: { type: 'string', default: 'val' },
    norm: { type: 'string', default: '2' },
    metric: { type: 'string', default: '2' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(REWARDS_USAGE + '\n');
    return 0;
  }
  const canon = parseCanon(values.canon);
  const norm = parseNormFlag('--norm', values.norm);
  const metricFlag = parseNormFlag('--metric', values.metric);
  if (metricFlag === 'none') throw new UserError(`--metric: "none" is not a metric (expected one of ${NORMS.join(', ')})`);
  const metric: Norm = metricFlag;
  if (positionals.length !== 1) throw new UserError(`expected one rewards file (*.rewards.json), got ${positionals.length}`);
  const file = path.resolve(io.cwd, positionals[0]);
  const settings = { canon, norm, metric };
  const bar = new ProgressBar(io.stderr, io.isTTY);
  let fraction = 0;
  let result: { content: Awaited<ReturnType<typeof loadRewardsFile>>; distances: DistanceMatrix };
  try {
    // Sized before anything is built: refused when it cannot fit in memory, announced when large.
    const content = await loadRewardsFile(file, {
      loadModel: loadRewardModel,
      signal: io.signal,
      checkSize: (size) => {
        const { estimate, large } = checkComparisonSize(size, settings, { totalMemoryBytes: totalmem(), file });
        if (large) bar.message(`a large comparison: ${size.rewards} rewards on ${size.states} states x ${size.actions} actions, ${describeEstimate(estimate)} (estimated)`);
      },
    });
    bar.message(`${path.basename(file)}: ${content.names.length} rewards on ${content.mdp.nStates} states x ${content.mdp.nActions} actions`);
    // Returns to the event loop between blocks, so Ctrl-C / SIGTERM stop it (exit 130).
    const distances = await runCooperatively(pairwiseDistanceSteps(content.mdp, content.rewards, settings), {
      signal: io.signal,
      onProgress: (p) => {
        fraction = p.fraction;
        bar.update(p.fraction, p.message);
      },
    });
    result = { content, distances };
  } catch (e) {
    if (!io.signal.aborted) throw e;
    bar.done();
    io.stderr(`stopped at ${Math.floor(fraction * 100)}%: no distances computed\n`);
    if (values.json) io.stdout(JSON.stringify({ stopped: true, file, canon, norm, metric, progress: fraction }) + '\n');
    return 130;
  }
  bar.done();
  const { content } = result;
  const { matrix, trivial } = result.distances;
  const trivialNames = content.names.filter((_, i) => trivial[i]);
  if (values.json) {
    io.stdout(JSON.stringify({ names: content.names, canon, norm, metric, matrix, trivial: trivialNames }) + '\n');
    return 0;
  }
  io.stdout(`${path.basename(file)}: ${content.mdp.nStates} states, ${content.mdp.nActions} actions, discount ${content.mdp.discount}\n`);
  io.stdout(`canonicalisation ${canon}, normalisation ${norm}, metric ${metric}\n\n`);
  io.stdout(formatMatrix(content.names, matrix) + '\n');
  if (trivialNames.length > 0) {
    io.stdout(`\ntrivial (potential shaping plus a constant; canonicalised to zero): ${trivialNames.join(', ')}\n`);
  }
  return 0;
}

async function regretCorrelationCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCliArgs(
    argv,
    {
      mdps: { type: 'string', default: '128' },
      pairs: { type: 'string', default: '8' },
      steps: { type: 'string', default: '16' },
      seed: { type: 'string', default: '42' },
      regret: { type: 'string', default: 'exact' },
      episodes: { type: 'string' },
      horizon: { type: 'string' },
      'clamp-regret': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    io.stdout(REWARDS_USAGE + '\n');
    return 0;
  }
  const mdps = parseCount('--mdps', values.mdps, 1);
  const pairs = parseCount('--pairs', values.pairs, 1);
  const steps = parseCount('--steps', values.steps, 1);
  const seed = parseCount('--seed', values.seed, 0);
  const regret = (values.regret ?? 'exact').trim().toLowerCase() as RegretEvaluation;
  if (!REGRET_EVALUATIONS.includes(regret)) throw new UserError(`--regret: unknown evaluation "${values.regret}" (expected ${REGRET_EVALUATIONS.join(' or ')})`);
  // Default (undefined): the authors' count, states x actions episodes per estimate.
  const episodes = values.episodes === undefined ? undefined : parseCount('--episodes', values.episodes, 1);
  // The experiment's MDPs use discount 0.95 (randomMdp's default, as in the paper).
  const horizon = values.horizon === undefined ? defaultHorizon(0.95) : parseCount('--horizon', values.horizon, 1);
  if (mdps * pairs * steps < 3) throw new UserError('need at least 3 samples (mdps x pairs x steps) for a correlation');
  const bar = new ProgressBar(io.stderr, io.isTTY);
  const started = Date.now();
  const result = await regretCorrelation({
    mdps,
    pairs,
    steps,
    seed,
    regret,
    episodes,
    horizon,
    clampRegret: values['clamp-regret'] === true,
    signal: io.signal,
    onProgress: (done, total) => bar.update(done / total, `${done}/${total} samples`),
  });
  bar.done();
  const seconds = (Date.now() - started) / 1000;
  if (result.cancelled) io.stderr(`stopped: correlations below cover ${result.samples} samples\n`);
  if (values.json) {
    io.stdout(
      JSON.stringify({
        settings: result.settings,
        samples: result.samples,
        cancelled: result.cancelled,
        seconds,
        rows: result.rows.map((r) => ({ ...r, correlation: Number.isFinite(r.correlation) ? r.correlation : null })),
      }) + '\n',
    );
  } else {
    const s = result.settings;
    io.stdout(`${result.samples} samples (${s.mdps} MDPs x ${s.pairs} pairs x ${s.steps} steps; ${s.states} states, ${s.actions} actions, discount ${s.discount}, seed ${s.seed}) in ${seconds.toFixed(1)} s\n`);
    io.stdout(s.regret === 'monte-carlo' ? `regret from Monte-Carlo returns: ${s.episodes} episodes x ${s.horizon} steps per estimate${s.clampRegret ? ', clamped to [0, 1]' : ''}\n` : 'regret from exact policy evaluation\n');
    io.stdout('Pearson correlation of distance with normalised regret, highest first:\n\n');
    io.stdout(formatRows(result.rows) + '\n');
  }
  return result.cancelled ? 130 : 0;
}

function parseCanon(text: string | undefined): Canonicalization {
  const c = parseCanonicalization(text ?? '');
  if (!c) throw new UserError(`--canon: unknown canonicalisation "${text}" (expected one of ${CANONICALIZATIONS.join(', ')})`);
  return c;
}

function parseNormFlag(flag: string, text: string | undefined): Normalization {
  const n = parseNormalization(text ?? '');
  if (!n) throw new UserError(`${flag}: unknown norm "${text}" (expected one of ${[...NORMS, 'none'].join(', ')})`);
  return n;
}

function parseCount(flag: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text ?? '') || !Number.isSafeInteger(n) || n < min) throw new UserError(`${flag}: expected an integer >= ${min}, got "${text}"`);
  return n;
}

function formatMatrix(names: string[], matrix: number[][]): string {
  const w = Math.max(8, ...names.map((n) => n.length));
  const head = ' '.repeat(w) + names.map((n) => '  ' + n.padStart(w)).join('');
  const rows = names.map((n, i) => n.padEnd(w) + matrix[i].map((v) => '  ' + v.toFixed(4).padStart(w)).join(''));
  return [head, ...rows].join('\n');
}

function formatRows(rows: { canon: string; norm: string; metric: string; correlation: number }[]): string {
  const lines = ['rank  canon    norm          metric        correlation'];
  rows.forEach((r, i) => {
    const c = Number.isFinite(r.correlation) ? r.correlation.toFixed(3) : 'n/a';
    lines.push(`${String(i + 1).padStart(4)}  ${r.canon.padEnd(7)}  ${r.norm.padEnd(12)}  ${r.metric.padEnd(12)}  ${c.padStart(11)}`);
  });
  return lines.join('\n');
}
