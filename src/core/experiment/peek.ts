import { parse as parseJsonc } from 'jsonc-parser';

/** What a run needs to know about an experiment file before (or without) validating it. */
export interface ExperimentPeek {
  /** `kind` as written; `train` when absent or not a string (the schema's default). */
  kind: string;
  name?: string;
  /** `freezing.policy` as written. */
  policy?: string;
  /** `algo` as written (the RL kinds). */
  algo?: string;
}

/**
 * Reads kind, name and policy from experiment text however broken the rest of it is (JSONC
 * tolerant, never throws): for labels, menus and CodeLens, where validation reports problems
 * separately.
 */
export function peekExperiment(text: string): ExperimentPeek {
  let doc: unknown;
  try {
    doc = parseJsonc(text);
  } catch {
    doc = undefined;
  }
  const d = (typeof doc === 'object' && doc !== null ? doc : {}) as { kind?: unknown; name?: unknown; freezing?: { policy?: unknown }; algo?: unknown };
  const policy = typeof d.freezing === 'object' && d.freezing !== null ? d.freezing.policy : undefined;
  return {
    kind: typeof d.kind === 'string' ? d.kind : 'train',
    name: typeof d.name === 'string' ? d.name : undefined,
    policy: typeof policy === 'string' ? policy : undefined,
    ...(typeof d.algo === 'string' ? { algo: d.algo } : {}),
  };
}

/** The run-id label: the freezing policy of a train experiment (`none` if unset), the algorithm of an RL one, else the kind. */
export function peekLabel(p: ExperimentPeek): string {
  if (p.kind === 'train') return p.policy ?? 'none';
  if ((p.kind === 'skills' || p.kind === 'offline-gcrl') && p.algo) return p.algo;
  return p.kind;
}
