import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../../../src/core/errors';
import { CancelledError, maxBuiltinTextBytes, runBuiltinExtraction } from '../../../src/vscode/extract/builtinProcess';

/**
 * The built-in model through the real CLI in a real child process (the TypeScript source run
 * with tsx, as the bundle `dist/cli.js` is in the extension): result, schema file, user errors
 * and cancellation.
 */
const REPO = path.resolve(__dirname, '../../..');
const cli = { cliScript: path.join(REPO, 'src/cli.ts'), execArgv: ['--import', 'tsx'] };

test('extracts grounded entities from the text, offsets into the text', async () => {
  const text = 'Lee Harvey Oswald shot President John F. Kennedy in Dallas on November 22, 1963.';
  const r = await runBuiltinExtraction({ ...cli, text });
  assert.equal(r.provider, 'builtin');
  assert.equal(r.ungrounded, 0);
  for (const e of r.entities) assert.equal(text.slice(e.start, e.end), e.text);
  const people = r.entities.filter((e) => e.type === 'Peop').map((e) => e.text);
  assert.ok(people.some((p) => p.includes('Oswald')), JSON.stringify(r.entities));
  assert.ok(r.entities.some((e) => e.type === 'Loc' && e.text.startsWith('Dallas')), JSON.stringify(r.entities));
});

test('a schema file restricts the types; an invalid one is a user error naming the field', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'extract-schema-'));
  try {
    const onlyLoc = path.join(dir, 'loc.schema.json');
    writeFileSync(onlyLoc, '{ "name": "places", "entities": { "Loc": {} } }');
    const r = await runBuiltinExtraction({ ...cli, text: 'Lee Harvey Oswald shot John F. Kennedy in Dallas.', schemaFile: onlyLoc });
    assert.ok(r.entities.length > 0);
    assert.deepEqual([...new Set(r.entities.map((e) => e.type))], ['Loc']);
    assert.deepEqual(r.relations, []);

    const bad = path.join(dir, 'bad.schema.json');
    writeFileSync(bad, '{ "name": "x", "entities": { "Peop": {} },\n "relations": { "Work_For": { "head": "Peop", "tail": "Company" } } }');
    await assert.rejects(runBuiltinExtraction({ ...cli, text: 'Some text.', schemaFile: bad }), (e: unknown) => {
      assert.ok(isUserError(e), String(e));
      assert.match((e as Error).message, /\/relations\/Work_For\/tail/);
      assert.match((e as Error).message, /Company/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cancelling kills the child and rejects with CancelledError', async () => {
  const abort = new AbortController();
  const run = runBuiltinExtraction({ ...cli, text: 'Oswald shot Kennedy in Dallas.', signal: abort.signal });
  setTimeout(() => abort.abort(), 50);
  await assert.rejects(run, CancelledError);
});

test('text beyond the command-line limit is refused before starting a process', async () => {
  const text = 'word '.repeat(maxBuiltinTextBytes() / 5 + 1);
  await assert.rejects(runBuiltinExtraction({ ...cli, text }), (e: unknown) => isUserError(e) && /too long/.test((e as Error).message));
});

test('a selection that starts with "-" or contains NUL is text, not a command-line option', async () => {
  for (const text of ['- Lee Harvey Oswald shot John F. Kennedy in Dallas.', '--json Oswald shot Kennedy in Dallas.', 'Oswald shot Kennedy\u0000 in Dallas.']) {
    const r = await runBuiltinExtraction({ ...cli, text });
    for (const e of r.entities) assert.equal(text.slice(e.start, e.end), e.text);
    assert.ok(r.entities.some((e) => e.type === 'Loc' && e.text.startsWith('Dallas')), `${JSON.stringify(text)}: ${JSON.stringify(r.entities)}`);
  }
});
