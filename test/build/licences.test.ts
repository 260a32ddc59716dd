import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

// The extension is MIT: no package under a GPL-family licence may ship in the .vsix. What ships
// is what esbuild bundled (from its metafile) and the packages copied whole into dist/node_modules
// (o1js and its dependencies), as `npm run build` lists them in dist/bundled-packages.json.
const root = path.resolve(__dirname, '../..');

/** Why an SPDX expression is not acceptable, or undefined. Copyleft on every OR-branch is rejected. */
function copyleftProblem(expression: string | undefined): string | undefined {
  if (!expression) return 'no licence stated';
  const branches = expression.replace(/[()]/g, ' ').split(/\s+OR\s+/i);
  const copyleft = (branch: string) => /\b(A|L)?GPL\b|\bGPL-|\bAGPL-|\bLGPL-|SSPL|\bEUPL/i.test(branch);
  return branches.every(copyleft) ? `copyleft licence ${expression}` : undefined;
}

function licenceOf(pkgDir: string): string | undefined {
  const pkg = JSON.parse(readFileSync(path.join(root, pkgDir, 'package.json'), 'utf8')) as {
    license?: string | { type?: string }; licenses?: { type?: string }[];
  };
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license?.type) return pkg.license.type;
  if (pkg.licenses?.length) return pkg.licenses.map((l) => l.type).join(' OR ');
  return undefined;
}

test('the licence check rejects GPL, AGPL and LGPL and accepts permissive and dual licences', () => {
  for (const bad of ['GPL-3.0', 'GPL-3.0-only', 'AGPL-3.0-or-later', 'LGPL-2.1', '(GPL-2.0 OR LGPL-3.0)', 'MIT AND GPL-3.0', undefined]) {
    assert.ok(copyleftProblem(bad), `${bad} is rejected`);
  }
  for (const ok of ['MIT', 'Apache-2.0', 'BSD-3-Clause', 'ISC', '(MIT OR Apache-2.0)', '(MIT OR GPL-3.0)', '0BSD', 'MPL-2.0 OR Apache-2.0']) {
    assert.equal(copyleftProblem(ok), undefined, `${ok} is accepted`);
  }
});

test('every package bundled into or copied next to the extension has a non-copyleft licence', () => {
  const list = path.join(root, 'dist', 'bundled-packages.json');
  assert.ok(existsSync(list), 'build first (npm run build writes dist/bundled-packages.json)');
  const { bundled, copied } = JSON.parse(readFileSync(list, 'utf8')) as { bundled: string[]; copied: string[] };
  assert.ok(bundled.includes('node_modules/@tensorflow/tfjs-core'), 'the list covers the bundles');
  assert.ok(copied.includes('node_modules/o1js'), 'and the prover copied beside them');
  const problems = [...new Set([...bundled, ...copied])].flatMap((dir) => {
    const problem = copyleftProblem(licenceOf(dir));
    return problem ? [`${dir}: ${problem}`] : [];
  });
  assert.deepEqual(problems, []);
});

// The native matrix product (native/openblasGemm.c, linux-x64) opens the user's own OpenBLAS
// (BSD-3-Clause; Debian's links libgfortran and libgomp, GPL with the GCC runtime exception) at
// run time: nothing of OpenBLAS or its runtime libraries is linked into or shipped with it.
test('the native product links only the C library (OpenBLAS is opened at run time, not shipped)', { skip: process.platform !== 'linux' || process.arch !== 'x64' ? 'linux-x64 only' : false }, () => {
  const file = path.join(root, 'dist', 'openblasGemm.node');
  assert.ok(existsSync(file), 'npm run build compiles dist/openblasGemm.node on linux-x64');
  const r = spawnSync('readelf', ['-d', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const needed = [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  assert.deepEqual(needed.filter((lib) => !/^lib(c|dl|pthread)\.so/.test(lib)), [], `links ${needed.join(', ')}`);
  for (const f of readdirSync(path.join(root, 'dist'))) assert.doesNotMatch(f, /openblas\.so|gfortran|gomp/i, `dist/ ships ${f}`);
});
