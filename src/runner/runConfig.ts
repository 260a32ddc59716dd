import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, parseTree, type ParseError } from 'jsonc-parser';
import { UserError } from '../core/errors';
import { LineMap } from '../core/experiment/diagnostic';
import { experimentValidators } from '../core/experiment/schema';
import { schemaDiagnostics } from '../core/experiment/schemaErrors';
import { semanticDiagnostics } from '../core/experiment/semantic';
import type { Experiment } from '../core/experiment/types';
import { confinedRealPath } from '../core/util/confinedPath';
import { jsonSyntaxProblem } from '../core/util/jsonError';
import type { SweepRef } from './runOrigin';
import { CONFIG_FILE } from './runStore';

/** What `config.json` of a run holds: the resolved experiment, so a resume needs nothing else. */
export interface ResolvedConfig<E extends Experiment = Experiment> {
  experimentFile: string;
  experiment: E;
  /** Set when the run is a point of a sweep (its experiment is the point's). */
  sweep?: SweepRef;
}

/**
 * Reads and checks a run's `config.json` before a resume uses it: read only from inside the run
 * folder (a symbolic link out of it is refused), valid JSON, and an experiment that passes the
 * same schema and semantic checks as an experiment file. Problems are one-line `UserError`s at
 * the offending line of `config.json` (a damaged or hand-edited run folder), never a crash
 * later. Undefined when the file does not exist.
 */
export async function readRunConfig(runDir: string): Promise<ResolvedConfig | undefined> {
  const file = path.join(runDir, CONFIG_FILE);
  const damaged = (message: string, pointer?: string, line?: number, column?: number): UserError =>
    new UserError(`damaged run configuration: ${message}`, pointer, file, line, column);
  let text: string;
  try {
    text = await fs.readFile(await confinedRealPath(runDir, CONFIG_FILE), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw damaged(code === 'EOUTSIDE' ? (e as Error).message : `cannot read it (${code ?? String(e)})`);
  }
  const lines = new LineMap(text);
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0 || !tree) {
    const p = jsonSyntaxProblem(text);
    throw damaged(`not valid JSON: ${p.reason}`, undefined, p.line, p.column);
  }
  if (tree.type !== 'object') throw damaged('not a JSON object', undefined, 1, 1);
  const config = JSON.parse(text) as Partial<ResolvedConfig>;
  if (typeof config.experimentFile !== 'string') throw damaged('"experimentFile" must be the experiment file\'s path', '/experimentFile');
  const node = findNodeAtLocation(tree, ['experiment']);
  if (!node || node.type !== 'object') throw damaged('"experiment" must be the resolved experiment (an object)', '/experiment');
  const check = experimentValidators().check;
  const problems = check(config.experiment)
    ? semanticDiagnostics(config.experiment as Experiment, undefined, node, lines).filter((d) => d.severity === 'error')
    : schemaDiagnostics(check.errors ?? [], node, lines);
  if (problems.length > 0) {
    const p = problems[0];
    throw damaged(p.message, `/experiment${p.pointer}`, p.line, p.column);
  }
  return config as ResolvedConfig;
}
