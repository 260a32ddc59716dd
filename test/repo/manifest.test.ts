import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The manifest parts that make Model Lab start when a user opens or creates an experiment or
 * rewards file (e2e: test/e2e/firstUse.e2e.ts), checked where a typo would otherwise only show
 * in a real VS Code.
 */
const REPO = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const LANGUAGES = { 'model-lab-experiment': '*.experiment.json', 'model-lab-rewards': '*.rewards.json' };

test('each file kind has its own language, activates the extension, and stays JSON with comments', () => {
  const c = manifest.contributes;
  for (const [id, pattern] of Object.entries(LANGUAGES)) {
    const lang = c.languages.find((l: { id: string }) => l.id === id);
    assert.deepEqual(lang?.filenamePatterns, [pattern], id);
    assert.ok(existsSync(path.join(REPO, lang.configuration)), `${id}: language configuration`);
    const grammar = c.grammars.find((g: { language: string }) => g.language === id);
    const tm = JSON.parse(readFileSync(path.join(REPO, grammar.path), 'utf8'));
    assert.equal(tm.scopeName, grammar.scopeName);
    assert.deepEqual(tm.patterns, [{ include: 'source.json.comments' }]);
    assert.deepEqual(c.jsonLanguageParticipants.find((p: { languageId: string }) => p.languageId === id), { languageId: id, comments: true });
    assert.ok(manifest.activationEvents.includes(`onLanguage:${id}`), `activates on onLanguage:${id}`);
    const validation = c.jsonValidation.find((v: { fileMatch: string }) => v.fileMatch === pattern);
    const schema = JSON.parse(readFileSync(path.join(REPO, validation.url), 'utf8'));
    // The JSON language service allows comments in a participant language only when the schema says so.
    assert.equal(schema.allowComments, true);
    assert.equal(schema.allowTrailingCommas, true);
  }
});

test('activation stays narrow: no start-up, wildcard or all-JSON activation', () => {
  for (const e of manifest.activationEvents as string[]) {
    assert.ok(!['*', 'onStartupFinished', 'onLanguage:json', 'onLanguage:jsonc', 'onLanguage'].includes(e), e);
  }
});
