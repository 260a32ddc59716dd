import type { ClassificationReport } from '../../core/train/classificationReport';
import { toCsv } from '../shared/export';
import { runLabels } from './spec';
import type { TimelineRun } from './viewModel';

/**
 * The timeline's data as CSV, for the panel's Export buttons: what its charts and tables show,
 * one table per file, epochs counted from 1 as in the panel.
 */

/** One row per run and completed epoch: the accuracy, loss and FLOPs-saved charts. */
export function epochsCsv(runs: readonly TimelineRun[]): string {
  const labels = runLabels(runs);
  return toCsv(
    ['run', 'runId', 'policy', 'epoch', 'step', 'trainLoss', 'testLoss', 'testAccuracy', 'elapsedSeconds', 'backwardFlopsSaved', 'forwardFlopsSaved'],
    runs.flatMap((run, i) => run.epochPoints.map((p) => [
      labels[i], run.runId, run.policy, p.epoch, p.step, p.loss, p.testLoss, p.testAccuracy, p.elapsedSeconds, p.savedBackward, p.savedForward,
    ])),
  );
}

/** One row per run and layer: the lanes (when each layer froze, and why). */
export function layersCsv(runs: readonly TimelineRun[]): string {
  const labels = runLabels(runs);
  return toCsv(
    ['run', 'runId', 'layer', 'type', 'params', 'frozenAtEpoch', 'frozenAtStep', 'backwardSavingPerStep', 'reason'],
    runs.flatMap((run, i) => run.layers.map((l) => [
      labels[i], run.runId, l.name, l.type, l.params, l.frozenAtEpoch, l.frozenAtStep, l.backwardSaving, l.reason,
    ])),
  );
}

/** The confusion matrix as a table: a row per true class, a column per predicted class. */
export function confusionMatrixCsv(report: ClassificationReport): string {
  return toCsv(['true \\ predicted', ...report.classNames], report.confusionMatrix.map((row, t) => [report.classNames[t], ...row]));
}

/** The per-class table, with the macro average last. */
export function perClassCsv(report: ClassificationReport): string {
  const support = report.perClass.reduce((a, c) => a + c.support, 0);
  return toCsv(
    ['class', 'precision', 'recall', 'f1', 'support'],
    [
      ...report.perClass.map((c) => [c.class, c.precision, c.recall, c.f1, c.support]),
      ['macro average', report.macro.precision, report.macro.recall, report.macro.f1, support],
    ],
  );
}
