/**
 * Per-class precision, recall, F1 and support, and the confusion matrix, of a classifier's
 * predictions on a labelled split: what a practitioner reads after accuracy, to see which classes
 * the model confuses. Pure: computed from the class indices the model predicted.
 */

export interface ClassMetrics {
  /** The class's name (the data's text label, or its index for integer labels). */
  class: string;
  /** Of the examples predicted as this class, the share that are; 0 when none was predicted. */
  precision: number;
  /** Of the examples of this class, the share predicted as it; 0 when the split has none. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  /** Examples of this class in the split. */
  support: number;
}

export interface ClassificationReport {
  /** Index = class. */
  classNames: string[];
  /** `confusionMatrix[t][p]`: examples of true class `t` predicted as class `p` (rows true, columns predicted). */
  confusionMatrix: number[][];
  perClass: ClassMetrics[];
  /** Unweighted means over the classes (each class counts the same, however rare). */
  macro: { precision: number; recall: number; f1: number };
}

/** Rows = true class, columns = predicted class. Throws on a class index outside `[0, numClasses)`. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): number[][] {
  if (labels.length !== predictions.length) {
    throw new Error(`confusion matrix: ${labels.length} labels but ${predictions.length} predictions`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new Error(`confusion matrix: class index out of range at example ${i} (label ${t}, predicted ${p}, ${numClasses} classes)`);
    }
    m[t][p]++;
  }
  return m;
}

/**
 * The report for `labels` against `predictions` (class indices). `classNames` name the classes
 * (index = class); without them (integer labels) classes are named by their index.
 */
export function classificationReport(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
  classNames?: readonly string[],
): ClassificationReport {
  const names = Array.from({ length: numClasses }, (_, i) => classNames?.[i] ?? String(i));
  const matrix = confusionMatrix(labels, predictions, numClasses);
  const perClass = names.map((name, c) => {
    const correct = matrix[c][c];
    const support = matrix[c].reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, row) => a + row[c], 0);
    const precision = predicted === 0 ? 0 : correct / predicted;
    const recall = support === 0 ? 0 : correct / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { class: name, precision, recall, f1, support };
  });
  const mean = (k: 'precision' | 'recall' | 'f1') => (numClasses === 0 ? 0 : perClass.reduce((a, m) => a + m[k], 0) / numClasses);
  return { classNames: names, confusionMatrix: matrix, perClass, macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') } };
}
