import type { RunSummary } from '../../runner/summary';
import { formatPercent, formatSaving, formatSeconds } from '../../panels/shared/format';

/**
 * What a completed run achieved, in one line for notifications and the log:
 * "95.1% test accuracy in 12.3 s, 31% backward FLOPs saved" or "dev entity F1 78.8%, relation F1
 * 52.9% in 4 min 10 s". Pure, for tests.
 */
export function outcomeText(s: RunSummary): string {
  switch (s.kind) {
    case 'extract-train': {
      const scores = s.causal
        ? `dev official macro-F1 ${formatPercent(s.causal.macroF1)}, Cause-Effect F1 ${formatPercent(s.causal.causal.f1)}, `
        : s.dev ? `dev entity F1 ${formatPercent(s.dev.entity.f1)}, relation F1 ${formatPercent(s.dev.relation.f1)}, ` : '';
      return `${scores}trained in ${formatSeconds(s.trainSeconds)}`;
    }
    case 'extract-eval':
      if (s.causal) {
        const r = s.causal.rationale;
        return `official macro-F1 ${formatPercent(s.causal.macroF1)}, Cause-Effect F1 ${formatPercent(s.causal.causal.f1)}, ` +
          `rationale comprehensiveness ${r.comprehensiveness.toFixed(2)} (random ${r.randomComprehensiveness.toFixed(2)}) on ${s.causal.sentences} sentences`;
      }
      return s.scores
        ? `entity F1 ${formatPercent(s.scores.entity.f1)}, relation F1 ${formatPercent(s.scores.relation.f1)} on ${s.scores.sentences} sentences (${s.provider})`
        : `evaluated with ${s.provider}`;
    case 'skills':
      return `${s.algo}: ${s.coverage} cells covered, final distance ${s.finalDistance.toFixed(1)} of ${s.maxDistance.toFixed(1)} in ${formatSeconds(s.trainSeconds)}`;
    case 'offline-gcrl':
      return `${s.algo}: ${formatPercent(s.successRate)} success over ${s.tasks.length} task${s.tasks.length === 1 ? '' : 's'} in ${formatSeconds(s.trainSeconds)}`;
    case 'distill': {
      const best = s.arms.reduce<(typeof s.arms)[number] | undefined>((b, a) => (!b || a.accuracy > b.accuracy ? a : b), undefined);
      return best
        ? `best arm ${best.name}: ${formatPercent(best.accuracy)} (teacher ${formatPercent(s.teacher.accuracy)}, ${(s.teacher.parameters / best.parameters).toFixed(1)}x smaller)`
        : `teacher ${formatPercent(s.teacher.accuracy)}`;
    }
    case 'diffusion-policy':
      return s.onMode === undefined
        ? 'stopped before its first measurement'
        : `${formatPercent(s.onMode)} of samples on a data mode, ${formatPercent(s.bestModeShare ?? 0)} on the best-reward mode`;
    case 'diffusion': {
      const parts = (['coarse-to-fine', 'single-scale'] as const).flatMap((a) => {
        const r = s[a];
        return r ? [`${a}: distance ${r.distance.toFixed(1)}, class consistency ${formatPercent(r.classConsistency)}`] : [];
      });
      return parts.join('; ') || 'no samples measured yet';
    }
    default:
      return `${formatPercent(s.metrics.accuracy)} test accuracy in ${formatSeconds(s.trainSeconds)}, ${formatSaving(s.flopsSaved.backward)} backward FLOPs saved`;
  }
}
