import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Docs and shipped files must not name a path of one particular machine: users' machines have
 * no `/work/shared`, and a home folder is someone's. Shared folders are named relative to the
 * repository (`../shared/datasets`) or by an environment variable.
 */
const REPO = path.resolve(__dirname, '..', '..');
const SCANNED = ['README.md', 'docs', 'examples', 'scripts', 'src', 'schemas', 'package.json'];
const TEXT = /\.(md|json|jsonc|ts|mjs|js|sh|txt)$/;
/** Absolute paths that belong to one machine (POSIX homes and the workplace, macOS and Windows homes). */
const MACHINE_PATH = /(?<![\w.~-])(\/work\/|\/root\/|\/home\/[\w.-]+\/|\/Users\/[\w.-]+\/|[A-Za-z]:\\Users\\)/;

function files(rel: string): string[] {
  const abs = path.join(REPO, rel);
  if (statSync(abs).isFile()) return [rel];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' || e.name.startsWith('.') ? [] : e.isDirectory() ? files(path.join(rel, e.name)) : TEXT.test(e.name) ? [path.join(rel, e.name)] : [],
  );
}

test('the pattern finds machine paths and leaves relative and system paths alone', () => {
  for (const s of ['reads `/work/shared/datasets`', 'see /root/.cache', 'cd /home/alice/model-lab', 'at /Users/bob/x', 'C:\\Users\\carol\\x']) assert.match(s, MACHINE_PATH, s);
  for (const s of ['../shared/datasets', '/usr/share/datasets', '--out /tmp/extractor', 'https://example.org/work/x', 'src/work/x']) assert.doesNotMatch(s, MACHINE_PATH, s);
});

test('docs, README, examples, scripts and sources name no machine-specific absolute path', () => {
  const hits: string[] = [];
  for (const rel of SCANNED.flatMap(files)) {
    readFileSync(path.join(REPO, rel), 'utf8').split('\n').forEach((line, i) => {
      if (MACHINE_PATH.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(hits, [], `name ../shared/... (relative to the repository) or an environment variable instead:\n${hits.join('\n')}`);
});
