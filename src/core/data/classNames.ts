/**
 * Text class labels (`setosa`, `versicolor`, ...) map to class indices the same way for every
 * data format, and are shown the same way wherever a run's results are (CLI, summary, editor).
 */

/** The distinct names in a stable order that does not depend on the rows' order (or a split). */
export function sortedClassNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

/** `0 setosa, 1 versicolor, 2 virginica`: class index and name, at most `limit` of them. */
export function classMappingText(names: readonly string[], limit = 20): string {
  const shown = names.slice(0, limit).map((n, i) => `${i} ${n}`).join(', ');
  return names.length > limit ? `${shown}, … (${names.length} classes)` : shown;
}
