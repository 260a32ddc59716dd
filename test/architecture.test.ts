import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';

/**
 * The layer rules of docs/architecture.md, checked over every import of `src/` and `webview/`
 * (type-only imports included, except where a rule says types are allowed):
 * - `core/` imports no other layer; `runner/` only core; the CLI only core and the runner;
 * - a panel contract (`src/panels/`) imports at run time other contracts and pure core modules
 *   (whose run-time imports, followed to the end, stay in `src/core/`), otherwise only types; a
 *   webview imports from `src/` only contracts; neither imports `vscode`, Node or TensorFlow.js,
 *   not even a type;
 * - no import cycles.
 */

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
const dir = (...p: string[]) => path.join(SRC, ...p);
const WEBVIEW = path.join(ROOT, 'webview');

interface ImportRef { specifier: string; typeOnly: boolean }

/** Every module a TypeScript source refers to, and whether only types are taken from it (erased from the bundle). */
function importsOf(file: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ specifier: node.argument.literal.text, typeOnly: true });
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      out.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const inside = (file: string, folder: string) => file === folder || file.startsWith(folder + path.sep);

/** The source file a relative specifier names (`x` -> `x.ts` or `x/index.ts`), or the path itself (a .css, .json, .wasm). */
function resolveRelative(from: string, specifier: string): string {
  const target = path.resolve(path.dirname(from), specifier);
  return [`${target}.ts`, path.join(target, 'index.ts')].find((f) => existsSync(f)) ?? target;
}

/** `vscode`, Node's modules and TensorFlow.js. */
function isHostOnlyPackage(specifier: string): boolean {
  const name = specifier.startsWith('node:') ? specifier : specifier.split('/')[0];
  return specifier === 'vscode' || specifier.startsWith('node:') || builtinModules.includes(name) || specifier.startsWith('@tensorflow/');
}

/** Layers of `src/` a file may import (at run time or as types), by the importing file's layer (files outside `src/`, e.g. schemas, are free). */
const LAYERS: { name: string; folders: string[]; mayImport: string[]; noVscode: boolean }[] = [
  { name: 'core', folders: [dir('core')], mayImport: [dir('core')], noVscode: true },
  { name: 'runner', folders: [dir('runner')], mayImport: [dir('core'), dir('runner')], noVscode: true },
  { name: 'cli', folders: [dir('cli'), dir('cli.ts')], mayImport: [dir('core'), dir('runner'), dir('cli')], noVscode: true },
];

/**
 * Whether a core module is pure enough for a panel contract (it ends up in webview bundles):
 * its run-time imports, followed to the end, stay in `src/core/` (types may come from anywhere: they are erased).
 */
function isPureCore(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return true;
  seen.add(file);
  if (!inside(file, dir('core')) || !existsSync(file)) return false;
  return importsOf(file, readFileSync(file, 'utf8')).every(({ specifier, typeOnly }) =>
    typeOnly || (specifier.startsWith('.') && isPureCore(resolveRelative(file, specifier), seen)));
}

/** What breaks a rule in one file (absolute path under `src/` or `webview/`). */
function violations(file: string, text: string): string[] {
  const rel = path.relative(ROOT, file);
  const problems: string[] = [];
  const isContract = inside(file, dir('panels'));
  const isWebview = inside(file, WEBVIEW);
  const layer = LAYERS.find((l) => l.folders.some((f) => inside(file, f)));
  for (const { specifier, typeOnly } of importsOf(file, text)) {
    const where = `${rel} imports "${specifier}"`;
    if (!specifier.startsWith('.')) {
      if ((isContract || isWebview) && isHostOnlyPackage(specifier)) problems.push(`${where}: vscode, Node and TensorFlow.js stay out of panel contracts and webviews`);
      else if (isContract && !typeOnly) problems.push(`${where}: a contract takes only types from packages (import type)`);
      else if (layer?.noVscode && specifier === 'vscode') problems.push(`${where}: ${layer.name}/ knows nothing of VS Code`);
      continue;
    }
    const target = resolveRelative(file, specifier);
    if (isWebview) {
      if (!inside(target, WEBVIEW) && !inside(target, dir('panels'))) problems.push(`${where}: a webview imports from src/ only the panel contracts (src/panels/)`);
    } else if (isContract) {
      if (!inside(target, dir('panels')) && !(inside(target, dir('core')) && (typeOnly || isPureCore(target)))) {
        problems.push(`${where}: a contract imports other contracts and pure core modules, otherwise only types`);
      }
    } else if (layer && inside(target, SRC) && !layer.mayImport.some((f) => inside(target, f))) {
      problems.push(`${where}: ${layer.name} may import only ${layer.mayImport.map((f) => path.relative(SRC, f)).join(', ')}`);
    }
  }
  return problems;
}

function tsFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts'))
    .map((d) => path.join(d.parentPath, d.name))
    .filter((f) => !f.includes(`${path.sep}assembly${path.sep}`)); // AssemblyScript, compiled to wasm
}

/** Import cycles among `files` (each as its chain of files), type-only imports included. */
function importCycles(files: string[], read = (f: string) => readFileSync(f, 'utf8')): string[][] {
  const edges = new Map(files.map((f) => [f, importsOf(f, read(f))
    .filter((i) => i.specifier.startsWith('.')).map((i) => resolveRelative(f, i.specifier)).filter((t) => t.endsWith('.ts'))]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const next of edges.get(f) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((x) => path.relative(ROOT, x)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

const ALL = [...tsFiles(SRC), ...tsFiles(WEBVIEW)];

test('every import of src/ and webview/ follows the layer rules', () => {
  assert.ok(ALL.some((f) => f.endsWith(path.join('webview', 'timeline', 'main.ts'))) && ALL.some((f) => f.endsWith(path.join('panels', 'timeline', 'spec.ts'))));
  assert.deepEqual(ALL.flatMap((f) => violations(f, readFileSync(f, 'utf8'))), []);
});

test('no import cycles in src/ and webview/, type-only imports included', () => {
  assert.deepEqual(importCycles(ALL), []);
});

test('the rules catch each kind of violation', () => {
  const bad = (file: string, line: string) => violations(file, line).length;
  const webview = path.join(WEBVIEW, 'timeline', 'main.ts');
  assert.equal(bad(webview, "import { isHostToWebview } from '../../src/panels/timeline/messages';"), 0);
  assert.equal(bad(webview, "import { acquireHost } from '../shared/dom';"), 0);
  assert.equal(bad(webview, "import { View } from 'vega';"), 0);
  assert.equal(bad(webview, "import { escapeMarkdown } from '../../src/vscode/util/markdown';"), 1);
  assert.equal(bad(webview, "import type { RunEvent } from '../../src/core/train/events';"), 1);
  assert.equal(bad(webview, "export { runJob } from '../../src/runner/runJob';"), 1);
  assert.equal(bad(webview, "const m = require('../../src/core/errors');"), 1);
  assert.equal(bad(webview, "import * as tf from '@tensorflow/tfjs';"), 1);
  const contract = dir('panels', 'timeline', 'spec.ts');
  assert.equal(bad(contract, "import type { RunEvent } from '../../core/train/events';"), 0);
  assert.equal(bad(contract, "import { type RunEvent } from '../../core/train/events';"), 0);
  assert.equal(bad(contract, "import type { TopLevelSpec } from 'vega-lite';"), 0);
  assert.equal(bad(contract, "import { isRecord } from '../shared/validators';"), 0);
  assert.equal(bad(contract, "import { UserError } from '../../core/errors';"), 0, 'a pure core module');
  assert.equal(bad(contract, "import { CANONICALIZATION_LABELS } from '../../core/reward/names';"), 0, 'pure: it takes only types from the rest of core');
  assert.equal(bad(contract, "import { loadExperimentFile } from '../../core/experiment/load';"), 1, 'reaches node:fs');
  assert.equal(bad(contract, "import { initBackend } from '../../core/tensor/backend';"), 1, 'reaches TensorFlow.js');
  assert.equal(bad(contract, "import { parseRewardsText } from '../../core/reward/rewardsFile';"), 1);
  assert.equal(bad(contract, "import type { RunRecord } from '../../runner/runStore';"), 1);
  assert.equal(bad(contract, "import type { Uri } from 'vscode';"), 1);
  assert.equal(bad(contract, "import { readFileSync } from 'node:fs';"), 1);
  assert.equal(bad(contract, "import * as path from 'path';"), 1);
  assert.equal(bad(contract, "type T = import('@tensorflow/tfjs').Tensor;"), 1);
  assert.equal(bad(contract, "import { compile } from 'vega-lite';"), 1);
  assert.equal(bad(contract, "const f = () => import('../../vscode/runs/runManager');"), 1);
  assert.equal(bad(dir('core', 'errors.ts'), "import type { RunRecord } from '../runner/runStore';"), 1);
  assert.equal(bad(dir('core', 'errors.ts'), "import type { TimelineRun } from '../panels/timeline/viewModel';"), 1);
  assert.equal(bad(dir('core', 'errors.ts'), "import * as vscode from 'vscode';"), 1);
  assert.equal(bad(dir('runner', 'runJob.ts'), "import { outcomeText } from '../vscode/runs/outcomeText';"), 1);
  assert.equal(bad(dir('runner', 'runJob.ts'), "import { loadExperimentFile } from '../core/experiment/load';"), 0);
  assert.equal(bad(dir('cli.ts'), "import { formatPercent } from './panels/shared/format';"), 1);
  assert.equal(bad(dir('cli', 'run.ts'), "import { runJob } from '../runner/runJob';"), 0);
});

test('the cycle check finds a cycle through type-only imports', () => {
  const a = dir('core', 'errors.ts');
  const b = dir('core', 'reward', 'matrixView.ts');
  const sources = new Map([[a, "import type { MatrixView } from './reward/matrixView';"], [b, "import type { ErrorInfo } from '../errors';"]]);
  assert.deepEqual(importCycles([a, b], (f) => sources.get(f)!), [['src/core/errors.ts', 'src/core/reward/matrixView.ts', 'src/core/errors.ts']]);
  assert.deepEqual(importCycles([a, b], (f) => (f === a ? sources.get(a)! : '')), []);
});
