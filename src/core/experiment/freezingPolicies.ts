import { EXPERIMENT_SCHEMA } from './schema';
import type { FreezingPolicyName } from './types';

/** The freezing policies as the schema describes them: names, options, required options. */

/** The freezing policies the schema knows, in schema order. */
export function freezingPolicyNames(): FreezingPolicyName[] {
  return freezingBranches().map((b) => b.name);
}

/**
 * The options `policy` requires that `freezing` (the settings a run will use) does not give,
 * as groups of alternatives, from the schema: for `static`, `[["layers", "prefix"], ["atEpoch",
 * "atStep"]]` when neither of each pair is there. Empty when nothing is missing.
 */
export function missingPolicyOptions(policy: string, freezing: Record<string, unknown>): string[][] {
  const branch = freezingBranches().find((b) => b.name === policy);
  if (!branch) return [];
  const has = (o: string) => freezing[o] !== undefined;
  return branch.required.filter((group) => !group.some(has));
}

interface FreezingBranch {
  name: FreezingPolicyName;
  properties: string[];
  /** Required options besides `policy`, each a group of alternatives (exactly one is given). */
  required: string[][];
}

interface BranchSchema {
  properties?: Record<string, { const?: string }>;
  required?: string[];
  allOf?: { oneOf?: { required?: string[] }[] }[];
}

function freezingBranches(): FreezingBranch[] {
  const defs = EXPERIMENT_SCHEMA.definitions as Record<string, BranchSchema & { oneOf?: { $ref: string }[] }>;
  return (defs.freezing.oneOf ?? []).map((r) => {
    const def = defs[r.$ref.split('/').pop() as string];
    const required = (def.required ?? []).filter((k) => k !== 'policy').map((k) => [k]);
    for (const part of def.allOf ?? []) {
      const group = (part.oneOf ?? []).flatMap((alt) => alt.required ?? []);
      if (group.length > 0) required.push(group);
    }
    return { name: def.properties?.policy?.const as FreezingPolicyName, properties: Object.keys(def.properties ?? {}), required };
  });
}

/**
 * The `freezing` settings a run with `policy` uses: the file's `freezing` when it already has
 * that policy, else only the options the new policy takes; then `options` on top.
 */
export function freezingWithOverride(freezing: unknown, policy: string, options: Record<string, unknown> = {}): Record<string, unknown> {
  const old = typeof freezing === 'object' && freezing !== null && !Array.isArray(freezing) ? (freezing as Record<string, unknown>) : {};
  const allowed = freezingBranches().find((b) => b.name === policy)?.properties ?? ['policy'];
  const next: Record<string, unknown> = { policy };
  if (old.policy === policy) Object.assign(next, old);
  else for (const k of Object.keys(old)) if (k !== 'policy' && allowed.includes(k)) next[k] = old[k];
  // An option replaces its alternatives from the file (`prefix` replaces `layers`, `atStep` `atEpoch`).
  const groups = freezingBranches().find((b) => b.name === policy)?.required ?? [];
  for (const k of Object.keys(options)) for (const g of groups) if (g.includes(k)) for (const alt of g) delete next[alt];
  Object.assign(next, options, { policy });
  return next;
}
