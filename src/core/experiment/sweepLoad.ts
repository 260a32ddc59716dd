import { parse, parseTree } from 'jsonc-parser';
import { UserError } from '../errors';
import { LineMap } from './diagnostic';
import { rangeOf } from './jsonLocation';
import { loadExperimentText, type LoadedExperiment } from './load';
import { experimentValidators } from './schema';
import { describeParams, expandSweep, experimentAtPoint, type SweepPoint } from './sweep';
import type { Experiment } from './types';

export interface LoadedSweepPoint extends SweepPoint {
  /** The point's experiment: validated like a file of its own, paths absolute, no `sweep`. */
  experiment: Experiment;
}

export interface LoadedSweep {
  /** The experiment file as written (with its `sweep` and `cluster` blocks). */
  base: LoadedExperiment;
  points: LoadedSweepPoint[];
}

/**
 * Expands an experiment file's sweep into one validated experiment per point. The block itself
 * was checked with the file; here each point is checked as a whole (a combination the schema
 * or the semantic checks reject, e.g. a policy without its options), and the first bad point is
 * a `UserError` at the `sweep` block naming the point and its values.
 */
export function loadSweepText(text: string, abs: string): LoadedSweep {
  const base = loadExperimentText(text, abs);
  const exp = base.experiment;
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const lines = new LineMap(text);
  if (!('sweep' in exp) || !exp.sweep) {
    throw new UserError('this experiment has no "sweep" block: add one (e.g. "sweep": {"grid": {"/training/optimizer/learningRate": [0.001, 0.0003]}}), or run it as one experiment', '/sweep', abs);
  }
  const raw = parse(text, [], { allowTrailingComma: true }) as Record<string, unknown>;
  // A point may set a field whose parent the file leaves to the schema's defaults.
  const defaults = structuredClone(raw);
  experimentValidators().withDefaults(defaults);
  const points = expandSweep(exp.sweep).map((point) => {
    const pointText = JSON.stringify(experimentAtPoint(raw, point.params, defaults), null, 2);
    try {
      return { ...point, experiment: loadExperimentText(pointText, abs).experiment };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const { start } = rangeOf(tree, '/sweep', 'key');
      const { line, column } = lines.position(start);
      throw new UserError(`point ${point.index} (${describeParams(point.params)}) is not a valid experiment: ${e.pointer ? `${e.pointer}: ` : ''}${e.message}`, '/sweep', abs, line, column);
    }
  });
  return { base, points };
}
