import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';

/**
 * The panel contract rule (docs/architecture.md): a webview imports from `src/` only the panel
 * contracts (`src/panels/`); a contract module imports at run time only other contracts, and
 * from `src/core/` and npm packages only types; nothing in either imports `vscode`, Node or
 * TensorFlow.js, not even a type.
 */

const ROOT = path.resolve(__dirname, '../..');
const PANELS = path.join(ROOT, 'src', 'panels');
const CORE = path.join(ROOT, 'src', 'core');
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

const inside = (file: string, dir: string) => file === dir || file.startsWith(dir + path.sep);

/** `vscode`, Node's modules and TensorFlow.js: never in a contract or a webview. */
function isForbiddenPackage(specifier: string): boolean {
  const name = specifier.startsWith('node:') ? specifier : specifier.split('/')[0];
  return specifier === 'vscode' || specifier.startsWith('node:') || builtinModules.includes(name) || specifier.startsWith('@tensorflow/');
}

/** What breaks the rule in one file (`file` absolute, under `webview/` or `src/panels/`). */
function boundaryViolations(file: string, text: string): string[] {
  const rel = path.relative(ROOT, file);
  const problems: string[] = [];
  for (const { specifier, typeOnly } of importsOf(file, text)) {
    const where = `${rel} imports "${specifier}"`;
    if (isForbiddenPackage(specifier)) {
      problems.push(`${where}: vscode, Node and TensorFlow.js stay out of panel contracts and webviews`);
      continue;
    }
    if (!specifier.startsWith('.')) {
      if (inside(file, PANELS) && !typeOnly) problems.push(`${where}: a contract takes only types from packages (import type)`);
      continue;
    }
    const target = path.resolve(path.dirname(file), specifier);
    if (inside(target, PANELS)) continue;
    if (inside(file, WEBVIEW)) {
      if (!inside(target, WEBVIEW)) problems.push(`${where}: a webview imports from src/ only the panel contracts (src/panels/)`);
    } else if (!(inside(target, CORE) && typeOnly)) {
      problems.push(`${where}: a contract imports other contracts, and only types from src/core/`);
    }
  }
  return problems;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts'))
    .map((d) => path.join(d.parentPath, d.name));
}

test('webviews import only panel contracts from src/, and contracts import no editor, Node or TensorFlow.js code', () => {
  const files = [...tsFiles(WEBVIEW), ...tsFiles(PANELS)];
  assert.ok(files.some((f) => f.endsWith(path.join('webview', 'timeline', 'main.ts'))) && files.some((f) => f.endsWith(path.join('panels', 'timeline', 'spec.ts'))));
  assert.deepEqual(files.flatMap((f) => boundaryViolations(f, readFileSync(f, 'utf8'))), []);
});

test('the rule catches each kind of violation', () => {
  const webview = path.join(WEBVIEW, 'timeline', 'main.ts');
  const contract = path.join(PANELS, 'timeline', 'spec.ts');
  const bad = (file: string, line: string) => boundaryViolations(file, line).length;
  // Webviews.
  assert.equal(bad(webview, "import { isHostToWebview } from '../../src/panels/timeline/messages';"), 0);
  assert.equal(bad(webview, "import { acquireHost } from '../shared/dom';"), 0);
  assert.equal(bad(webview, "import { View } from 'vega';"), 0);
  assert.equal(bad(webview, "import { formatAgo } from '../../src/vscode/util/markdown';"), 1);
  assert.equal(bad(webview, "import type { RunEvent } from '../../src/core/train/events';"), 1);
  assert.equal(bad(webview, "export { runJob } from '../../src/runner/runJob';"), 1);
  assert.equal(bad(webview, "const m = require('../../src/core/errors');"), 1);
  assert.equal(bad(webview, "import * as tf from '@tensorflow/tfjs';"), 1);
  // Contracts.
  assert.equal(bad(contract, "import type { RunEvent } from '../../core/train/events';"), 0);
  assert.equal(bad(contract, "import { type RunEvent } from '../../core/train/events';"), 0);
  assert.equal(bad(contract, "import type { TopLevelSpec } from 'vega-lite';"), 0);
  assert.equal(bad(contract, "import { isRecord } from '../shared/validators';"), 0);
  assert.equal(bad(contract, "import { UserError } from '../../core/errors';"), 1);
  assert.equal(bad(contract, "import { type ErrorInfo, UserError } from '../../core/errors';"), 1);
  assert.equal(bad(contract, "import type { RunRecord } from '../../runner/runStore';"), 1);
  assert.equal(bad(contract, "import type { Uri } from 'vscode';"), 1);
  assert.equal(bad(contract, "import { readFileSync } from 'node:fs';"), 1);
  assert.equal(bad(contract, "import * as path from 'path';"), 1);
  assert.equal(bad(contract, "type T = import('@tensorflow/tfjs').Tensor;"), 1);
  assert.equal(bad(contract, "import { compile } from 'vega-lite';"), 1);
  assert.equal(bad(contract, "const f = () => import('../../vscode/runs/runManager');"), 1);
});
