import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  getLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser';
import { UserError } from '../errors';
import { SYNTAX_MESSAGES } from '../util/jsonError';
import { diagnosticAt, LineMap, type ExperimentDiagnostic } from './diagnostic';
import { pathToPointer, rangeOf } from './jsonLocation';
import { resolveExperimentPaths } from './paths';
import { EXPERIMENT_SCHEMA, experimentValidators } from './schema';
import { peekExperiment } from './peek';
import { schemaDiagnostics, schemaValidity } from './schemaErrors';
import { freezingPolicyNames, freezingWithOverride, missingPolicyOptions } from './freezingPolicies';
import { semanticDiagnostics, type FileChecks } from './semantic';
import { sweepDiagnostics } from './sweep';
import type { Experiment, FreezingPolicyName } from './types';

export type { ExperimentDiagnostic } from './diagnostic';
export { freezingPolicyNames, freezingWithOverride, missingPolicyOptions } from './freezingPolicies';

export interface LoadedExperiment {
  /** Absolute path of the experiment file. */
  file: string;
  /** Its folder, against which relative paths were resolved. */
  baseDir: string;
  /** The validated experiment: schema defaults filled in, every file path absolute. */
  experiment: Experiment;
  /** Problems that do not stop a run (e.g. an option that is ignored). */
  warnings: ExperimentDiagnostic[];
}

export interface ParsedExperiment {
  /** Present when there is no error (warnings allowed); paths still as written. */
  experiment?: Experiment;
  /** Every problem found, in document order. */
  diagnostics: ExperimentDiagnostic[];
}

export interface ParseOptions {
  /** Fill in the schema's `default`s (as loading does). Default false: the text's values only. */
  applyDefaults?: boolean;
  /** Replace `freezing.policy` (the CLI's `--policy`) before validating. */
  policy?: string;
  /** Replace `algo` of an RL experiment (the CLI's `--algo`, Compare Algorithms) before validating. */
  algo?: string;
  /** Options of that policy, over the file's (the CLI's `--policy-option`, the Run with Policy prompts). */
  policyOptions?: Record<string, unknown>;
  /** How the files the experiment names are checked (default `stat`; `none` for an untrusted workspace). */
  files?: FileChecks;
}

/** An experiment's policy replaced for one run, with options for the new policy. */
export interface PolicyOverride {
  policy?: string;
  policyOptions?: Record<string, unknown>;
  /** Replaces `algo` of a skills or offline-gcrl experiment (the CLI's `--algo`, Compare Algorithms). */
  algo?: string;
}

/**
 * Parse and check an experiment's text: JSON with comments and trailing commas, then the
 * schema, then the semantic checks (files, the data's first rows, layer names, shapes, freezing
 * options). Never throws. `file` is the experiment's path; relative paths in it are resolved
 * against its folder; pass `''` for a document that has no file yet (files are then not read).
 * Syntax errors stop the checks there, since the rest would be guesses about a broken tree;
 * with schema errors, the semantic checks still run on the fields the schema accepted, so every
 * problem is reported at once.
 */
export function parseExperimentText(text: string, file: string, opts: ParseOptions = {}): ParsedExperiment {
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1); // keep offsets; JSON does not allow a BOM
  const lines = new LineMap(text);
  const parseErrors: ParseError[] = [];
  const tree = parseTree(text, parseErrors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  if (parseErrors.length > 0) {
    return { diagnostics: parseErrors.map((e) => syntaxDiagnostic(text, e, lines)) };
  }
  if (!tree) {
    return { diagnostics: [diagnosticAt(lines, 'the file is empty; expected a JSON object with "kind", "name", ...', '', 0, 0)] };
  }
  const diagnostics: ExperimentDiagnostic[] = duplicateKeys(tree, lines);
  const value: unknown = getNodeValue(tree);
  if (opts.policy !== undefined) {
    const freezing = applyPolicyOverride(value, opts.policy, opts.policyOptions);
    const missing = freezing ? missingPolicyOptions(opts.policy, freezing) : [];
    if (missing.length > 0) {
      // The file's text is fine for its own policy: say what the new one needs, not what the file lacks.
      const { start, end } = rangeOf(tree, '/freezing', 'key');
      const needs = missing.map((g) => g.map((o) => `"${o}"`).join(' or ')).join(', and ');
      return { diagnostics: [diagnosticAt(lines, `freezing policy "${opts.policy}" (from --policy) needs ${needs}; give them as policy options (--policy-option KEY=VALUE)`, '/freezing', start, end)] };
    }
  }
  if (opts.algo !== undefined && typeof value === 'object' && value !== null) (value as { algo?: unknown }).algo = opts.algo;

  const validators = experimentValidators();
  const baseDir = file === '' ? undefined : path.dirname(path.resolve(file));
  if (!validators.check(value)) {
    const errors = validators.check.errors ?? [];
    diagnostics.push(...schemaDiagnostics(errors, tree, lines));
    if (isObject(value)) diagnostics.push(...semanticDiagnostics(value as unknown as Experiment, baseDir, tree, lines, opts.files, schemaValidity(errors)));
    return { diagnostics: sortByPosition(diagnostics) };
  }
  const experiment = value as Experiment;
  // Semantic checks see the values as written (a default is never "ignored"), then defaults fill in.
  diagnostics.push(...semanticDiagnostics(experiment, baseDir, tree, lines, opts.files));
  diagnostics.push(...sweepDiagnostics(value as Record<string, unknown>, tree, lines));
  const sorted = sortByPosition(diagnostics);
  if (sorted.some((d) => d.severity === 'error')) return { diagnostics: sorted };
  if (opts.applyDefaults) validators.withDefaults(experiment);
  return { experiment, diagnostics: sorted };
}

/** Every problem in an experiment's text, for an editor. Never throws. */
export function checkExperimentText(text: string, file: string, files: FileChecks = 'stat'): ExperimentDiagnostic[] {
  return parseExperimentText(text, file, { files }).diagnostics;
}

/**
 * Read, validate and resolve an experiment file. Throws a `UserError` for the first error
 * (with pointer, file, line and column, and a count of further errors).
 * `overrides.policy` replaces `freezing.policy` (CLI `--policy`); options of the file's
 * policy that the new one does not take are dropped, so one file can compare policies.
 */
export async function loadExperimentFile(file: string, overrides: PolicyOverride = {}): Promise<LoadedExperiment> {
  const { file: abs, text } = await readExperimentFile(file);
  return loadExperimentText(text, abs, overrides);
}

/** An experiment file's absolute path and text; a `UserError` when it cannot be read. */
export async function readExperimentFile(file: string): Promise<{ file: string; text: string }> {
  const abs = path.resolve(file);
  try {
    return { file: abs, text: await fs.readFile(abs, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'experiment file not found' : code === 'EISDIR' ? 'not a file' : `cannot read the experiment file (${code ?? String(e)})`;
    throw new UserError(`${why}: ${abs}`, undefined, abs);
  }
}

/**
 * `loadExperimentFile` of text already read from `abs` (absolute): validate and resolve, so a
 * caller that reads a file once can validate it for several runs (one per policy).
 */
export function loadExperimentText(text: string, abs: string, overrides: PolicyOverride = {}): LoadedExperiment {
  if (overrides.policy !== undefined) checkPolicyName(overrides.policy);
  if (overrides.algo !== undefined) checkAlgoOverride(text, overrides.algo, abs);
  const parsed = parseExperimentText(text, abs, { applyDefaults: true, policy: overrides.policy, policyOptions: overrides.policyOptions, algo: overrides.algo });
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !parsed.experiment) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
    throw new UserError(first.message + more, first.pointer, abs, first.line, first.column);
  }
  if (overrides.policy !== undefined && parsed.experiment.kind !== 'train') {
    throw new UserError(`--policy applies to train experiments only; this one is "${parsed.experiment.kind}"`, '/kind', abs);
  }
  const baseDir = path.dirname(abs);
  return {
    file: abs,
    baseDir,
    experiment: resolveExperimentPaths(parsed.experiment, baseDir),
    warnings: parsed.diagnostics.filter((d) => d.severity === 'warning'),
  };
}

/**
 * Errors raised after loading (data checks, the model builder) name a field of the
 * experiment by pointer but not where it is. This returns the same error placed in the
 * experiment file (file, line, column of the field), for the CLI's `file:line:col` and the
 * editor. Errors that already name a file (e.g. a data file's line) are returned unchanged.
 */
export async function withExperimentPosition(err: UserError, experimentFile: string): Promise<UserError> {
  if (err.file !== undefined || err.pointer === undefined) return err;
  let text: string;
  try {
    text = await fs.readFile(experimentFile, 'utf8');
  } catch {
    return new UserError(err.message, err.pointer, experimentFile);
  }
  const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const { start } = rangeOf(tree, err.pointer, 'value');
  const { line, column } = new LineMap(text).position(start);
  return new UserError(err.message, err.pointer, experimentFile, line, column);
}

/** `--algo` applies to the RL kinds, with their algorithms (the schema has the lists). */
function checkAlgoOverride(text: string, algo: string, file: string): void {
  const kind = peekExperiment(text).kind;
  const defs = EXPERIMENT_SCHEMA.definitions as Record<string, { properties?: { algo?: { enum?: string[] } } }>;
  const def = kind === 'skills' ? defs.skillsExperiment : kind === 'offline-gcrl' ? defs.offlineGcrlExperiment : undefined;
  if (!def) throw new UserError(`--algo applies to skills and offline-gcrl experiments; this one is "${kind}"`, '/kind', file);
  const names = def.properties?.algo?.enum ?? [];
  if (!names.includes(algo)) throw new UserError(`unknown algorithm "${algo}" (from --algo) for a ${kind} experiment; expected one of ${names.join(', ')}`, '/algo', file);
}

function checkPolicyName(policy: string): void {
  const names = freezingPolicyNames();
  if (!names.includes(policy as FreezingPolicyName)) {
    throw new UserError(`unknown freezing policy "${policy}" (from --policy); expected one of ${names.join(', ')}`, '/freezing/policy');
  }
}

/** Set `freezing` for a policy override (see `freezingWithOverride`); non-train values are left alone. */
function applyPolicyOverride(value: unknown, policy: string, options?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'train') return undefined;
  const exp = value as { freezing?: unknown };
  const next = freezingWithOverride(exp.freezing, policy, options);
  exp.freezing = next;
  return next;
}

function syntaxDiagnostic(text: string, e: ParseError, lines: LineMap): ExperimentDiagnostic {
  const code = printParseErrorCode(e.error);
  const pointer = pathToPointer(getLocation(text, e.offset).path.filter((p) => p !== ''));
  return diagnosticAt(lines, `syntax error: ${SYNTAX_MESSAGES[code] ?? code}`, pointer, e.offset, e.offset + Math.max(1, e.length));
}

/** JSON allows repeated keys (the last wins); that is almost always a mistake in a config. */
function duplicateKeys(tree: JsonNode, lines: LineMap): ExperimentDiagnostic[] {
  const out: ExperimentDiagnostic[] = [];
  const visit = (node: JsonNode, pointer: string): void => {
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const [key, val] = prop.children ?? [];
        if (!key) continue;
        const name = String(key.value);
        const childPointer = `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (seen.has(name)) {
          out.push(diagnosticAt(lines, `duplicate property "${name}"; the last one wins`, childPointer, key.offset, key.offset + key.length, 'warning'));
        }
        seen.add(name);
        if (val) visit(val, childPointer);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((c, i) => visit(c, `${pointer}/${i}`));
    }
  };
  visit(tree, '');
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sortByPosition(d: ExperimentDiagnostic[]): ExperimentDiagnostic[] {
  return d.slice().sort((a, b) => a.start - b.start);
}
