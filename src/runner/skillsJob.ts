import * as path from 'node:path';
import type { SkillsExperiment } from '../core/experiment/types';
import { skillsSettingsFrom } from '../core/rl/fromExperiment';
import { exportVariables } from '../core/rl/nn/export';
import { SkillsTrainer } from '../core/rl/skills/trainer';
import { initBackend } from '../core/tensor/backend';
import { writeJsonAtomic } from '../core/util/atomicFile';
import type { RunRequest } from './protocol';
import type { JobSink, JobStart } from './job';
import { runSessionJob } from './sessionJob';
import type { SkillsSummary } from './summary';

/** The learned skills of a run: the evaluation the summary reports, and the networks (policy, phi). */
export const SKILLS_FILE = 'skills.json';

/**
 * A `skills` run: METRA or DIAYN on SAC (core/rl/skills), one session step per update. Events:
 * `rl-epoch` after each epoch, `skills-eval` (coverage and the evaluated trajectories) every
 * `evaluation.everyEpochs`; `skills.json` holds the final evaluation and the networks.
 */
export async function runSkillsJob(start: JobStart<SkillsExperiment>, req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<SkillsSummary> {
  const backend = await initBackend((req.backend as 'auto') ?? 'auto');
  sink.log('info', `backend: ${backend.name}`);
  const exp = start.config.experiment;
  const { runDir } = start;
  return runSessionJob<SkillsSummary>(start, sink, shouldStop, async (emit) => {
    const settings = skillsSettingsFrom(exp);
    const trainer = new SkillsTrainer(settings);
    const stages = trainer.stages((epoch, metrics, evaluation) => {
      emit({ type: 'rl-epoch', kind: 'skills', epoch, epochs: settings.epochs, metrics });
      if (evaluation) emit({ type: 'skills-eval', ...evaluation });
    });
    const last = () => trainer.history[trainer.history.length - 1];
    return {
      session: trainer.session,
      stages,
      totalSteps: settings.epochs * settings.gradientStepsPerEpoch,
      epochs: { total: settings.epochs, stepsPerEpoch: settings.gradientStepsPerEpoch },
      checkpointEvery: (exp.checkpointEvery ?? 10) * settings.gradientStepsPerEpoch,
      backend: backend.name,
      begin: () => undefined,
      extra: () => trainer.checkpointExtra(),
      restore: (extra) => trainer.restore(extra),
      progressMessage: (r) => {
        const ev = last();
        return `epoch ${r.epoch + 1}/${settings.epochs}${ev ? ` · coverage ${ev.coverage} cells · final distance ${ev.finalDistance.toFixed(1)}` : ''}`;
      },
      finish: async (status) => {
        // A stopped run reports its latest evaluation; a completed one has evaluated at the end.
        const ev = last() ?? (status === 'completed' ? trainer.evaluate(settings.epochs) : undefined);
        const file = path.join(runDir, SKILLS_FILE);
        if (ev) {
          await writeJsonAtomic(file, {
            format: 'model-lab-skills/1',
            algo: settings.algo,
            env: settings.env,
            start: trainer.start,
            horizon: settings.horizon,
            skillSpace: settings.skills,
            evaluation: ev,
            networks: {
              policy: { sizes: trainer.sac.policySpec.sizes, input: 'normalised position, then the skill', output: 'mean and log std of a tanh-Gaussian', variables: exportVariables(trainer.session.variables('policy')) },
              phi: { sizes: trainer.objective.phiSpec.sizes, input: 'normalised position', variables: exportVariables(trainer.session.variables('phi')) },
            },
          });
        }
        return {
          fields: {
            kind: 'skills', algo: settings.algo, backend: backend.name,
            coverage: ev?.coverage ?? 0, finalDistance: ev?.finalDistance ?? 0, maxDistance: ev?.maxDistance ?? trainer.maxDistance(),
            skills: ev ? file : undefined, epochsDone: ev?.epoch ?? 0, trainSeconds: trainer.session.trainSeconds,
          },
        };
      },
      dispose: () => trainer.dispose(),
    };
  });
}
