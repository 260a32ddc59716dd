import * as path from 'node:path';
import { generationConfigFrom, loadGenerationData } from '../core/diffusion/fromExperiment';
import { GenerationTrainer, type GenerationMetrics } from '../core/diffusion/generation/generationTrainer';
import { encodePng, gridImage } from '../core/diffusion/generation/sampleGridImage';
import { GRID_FILE, gridPngFile } from '../core/diffusion/runFiles';
import type { ScaleSchedule } from '../core/diffusion/generation/twoScale';
import { UserError } from '../core/errors';
import type { DiffusionExperiment } from '../core/experiment/types';
import { initBackend } from '../core/tensor/backend';
import type { RunEvent } from '../core/train/events';
import { writeFileAtomic, writeJsonAtomic } from '../core/util/atomicFile';
import type { RunRequest } from './protocol';
import type { JobSink, JobStart } from './job';
import * as store from './runStore';
import { runSessionJob } from './sessionJob';
import type { DiffusionSummary, GenerationResult } from './summary';


const FINAL_SEED = 0xf1a1;
/** Step-record entries that are measurements (reported as `diffusion-eval`), not losses. */
const MEASUREMENTS = new Set(['devAccuracy', 'reconstructionDistance', 'distance', 'distance7', 'classConsistency']);
const GRID_SEED = 0x6a1d;

/** The training knobs of the chains that a checkpoint's U-Nets were trained with (each schedule's own). */
type ChainKnobs = { coarseShift: number; coarseRows: number; jointShift: number };
/** What checkpoints written before these knobs existed trained with (no log SNR shift, half of each batch). */
const CHECKPOINTS_BEFORE_CHAIN_KNOBS: ChainKnobs = { coarseShift: 0, coarseRows: 0.5, jointShift: 0 };
const KNOBS_OF: Record<ScaleSchedule, (keyof ChainKnobs)[]> = { 'coarse-to-fine': ['coarseShift', 'coarseRows'], 'single-scale': ['jointShift'] };
const chainKnobsOf = (cfg: { diffusion: ChainKnobs }): ChainKnobs => ({ coarseShift: cfg.diffusion.coarseShift, coarseRows: cfg.diffusion.coarseRows, jointShift: cfg.diffusion.jointShift });

/**
 * Runs a `diffusion` experiment (the Frido miniature, `core/diffusion/generation/`): classifier,
 * two-scale autoencoder, then each schedule's latent diffusion model at equal compute; the
 * distance over training; at the end each schedule's distance, 7x7 distance and class
 * consistency on `evaluation.samples` samples, and its sample grid (`grid.json`, a PNG).
 */
export async function runDiffusionJob(start: JobStart<DiffusionExperiment>, req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<DiffusionSummary> {
  const exp = start.config.experiment;
  const cfg = generationConfigFrom(exp);
  const emit = (e: RunEvent): void => {
    store.appendEvent(start.runDir, e);
    sink.event(e);
  };
  const latest = new Map<ScaleSchedule, GenerationMetrics>();
  const record = (arm: ScaleSchedule, step: number, m: GenerationMetrics, final: boolean) => {
    latest.set(arm, m);
    emit({ type: 'diffusion-eval', arm, step, ...(final ? { final } : {}), metrics: { distance: m.distance, distance7: m.distance7, classConsistency: m.classConsistency, samples: m.samples } });
  };
  let classifierAccuracy: number | undefined;
  let reconstructionDistance: number | undefined;
  // A resumed run keeps what its first part measured.
  for (const e of start.resume ? await store.readEvents(start.runDir) : []) {
    if (e.type !== 'diffusion-eval') continue;
    if (e.arm === 'classifier') classifierAccuracy = e.metrics.devAccuracy;
    else if (e.arm === 'autoencoder') reconstructionDistance = e.metrics.reconstructionDistance;
    else if (e.arm === 'coarse-to-fine' || e.arm === 'single-scale') latest.set(e.arm, e.metrics as unknown as GenerationMetrics);
  }
  const totalSteps = cfg.classifier.steps + cfg.autoencoder.steps + cfg.schedules.length * cfg.diffusion.steps;
  return runSessionJob<DiffusionSummary>(start, sink, shouldStop, async () => {
    const backend = await initBackend((req.backend as 'auto') ?? 'auto');
    sink.log('info', `backend: ${backend.name}`);
    const { train, dev, classNames } = await loadGenerationData(exp);
    sink.log('info', `${train.count} training images, ${dev.count} held out as the reference; schedules ${cfg.schedules.join(', ')}`);
    const trainer = new GenerationTrainer(cfg, train, dev);
    return {
      session: trainer.session,
      stages: trainer.stages((arm, step, m) => record(arm, step, m, false)),
      totalSteps,
      checkpointEvery: exp.training?.checkpointEvery ?? 250,
      backend: backend.name,
      // What each schedule's chains were trained with: a checkpoint trained otherwise is not resumed as this run.
      extra: () => ({ json: { chainKnobs: chainKnobsOf(cfg) } }),
      restore: (extra) => {
        const was = (extra.json as { chainKnobs?: ChainKnobs } | undefined)?.chainKnobs ?? CHECKPOINTS_BEFORE_CHAIN_KNOBS;
        const now = chainKnobsOf(cfg);
        const changed = cfg.schedules.flatMap((arm) => KNOBS_OF[arm]).filter((k) => was[k] !== now[k]);
        if (changed.length > 0) {
          throw new UserError(
            `this run's checkpoint was trained with ${changed.map((k) => `diffusion.${k} ${was[k]}`).join(', ')}; resumed now it would continue with ${changed.map((k) => now[k]).join(', ')} ` +
              `(${extra.json ? 'its configuration changed' : 'written by an earlier Model Lab, before these settings existed; their defaults changed since'}): start a new run`,
            `/diffusion/${changed[0]}`,
          );
        }
      },
      begin: (resumedAt) => {
        emit({ type: 'diffusion-start', kind: 'diffusion', arms: cfg.schedules, totalSteps, backend: backend.name, ...(resumedAt !== undefined ? { resumedAt } : {}), classNames });
      },
      onStep: (r) => {
        const { devAccuracy, reconstructionDistance: rec } = r.metrics;
        if (r.stageStep % 50 === 0 || r.stageEnd) {
          const losses = Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !MEASUREMENTS.has(k)));
          emit({ type: 'diffusion-loss', stage: r.stage, step: r.stageStep, losses });
        }
        if (devAccuracy !== undefined) {
          classifierAccuracy = devAccuracy;
          emit({ type: 'diffusion-eval', arm: 'classifier', step: r.stageStep, metrics: { devAccuracy } });
        }
        if (rec !== undefined) {
          reconstructionDistance = rec;
          emit({ type: 'diffusion-eval', arm: 'autoencoder', step: r.stageStep, metrics: { reconstructionDistance: rec } });
        }
      },
      progressMessage: (r) => {
        const m = latest.get(r.stage as ScaleSchedule);
        return `${r.stage} step ${r.stageStep}${m ? ` · distance ${m.distance.toFixed(1)} · class consistency ${(m.classConsistency * 100).toFixed(1)}%` : ''}`;
      },
      finish: async (status) => {
        if (status === 'completed') {
          const grids: Record<string, { perClass: number; classes: number; pixels: string }> = {};
          for (const arm of cfg.schedules) {
            // The sampling knobs first, chosen on the validation split (never on the samples reported below).
            const selection = trainer.select(arm);
            if (selection) {
              sink.log('info', `${arm}: guidance ${selection.guidance}${arm === 'coarse-to-fine' ? `, coarse share ${selection.coarseShare}` : ''} chosen on ${selection.samples} validation samples per candidate (${selection.rule})`);
            }
            record(arm, cfg.diffusion.steps, trainer.evaluate(arm, cfg.evaluation.samples, FINAL_SEED), true);
            const g = trainer.grid(arm, cfg.evaluation.gridPerClass, GRID_SEED);
            grids[arm] = { perClass: g.perClass, classes: g.classes, pixels: Buffer.from(g.pixels).toString('base64') };
            await writeFileAtomic(path.join(start.runDir, gridPngFile(arm)), encodePng(gridImage(g)));
            emit({ type: 'diffusion-artifact', what: 'png', file: gridPngFile(arm), arm });
          }
          await writeJsonAtomic(path.join(start.runDir, GRID_FILE), { width: 28, height: 28, stages: ['coarse decode', 'full decode'], classNames, grids });
          emit({ type: 'diffusion-artifact', what: 'grid', file: GRID_FILE });
        }
        const results: Partial<Record<ScaleSchedule, GenerationResult>> = {};
        for (const [arm, m] of latest) {
          const selection = trainer.selectionOf(arm);
          results[arm] = {
            distance: m.distance, distance7: m.distance7, classConsistency: m.classConsistency,
            ...(status === 'completed' ? { sampling: trainer.samplingOf(arm) } : {}),
            ...(selection ? { validation: selection } : {}),
          };
        }
        const c2f = results['coarse-to-fine'];
        return {
          fields: {
            kind: 'diffusion' as const, ...results,
            ...(classifierAccuracy !== undefined ? { classifierAccuracy } : {}),
            ...(reconstructionDistance !== undefined ? { reconstructionDistance } : {}),
          },
          score: c2f ? { name: 'class consistency (coarse-to-fine)', value: c2f.classConsistency } : undefined,
        };
      },
      dispose: () => trainer.dispose(),
    };
  });
}
