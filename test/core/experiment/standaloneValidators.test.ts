import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'jsonc-parser';
import experimentSchema from '../../../schemas/experiment.schema.json';
import { makeAjv, STANDALONE_VALIDATORS, standaloneValidator } from '../../../src/core/experiment/schema';

const root = path.resolve(__dirname, '../../..');

/** Every shipped example, and broken copies of them: what the standalone code must judge exactly as Ajv's compiled validators do. */
function cases(): { name: string; value: unknown }[] {
  const files = readdirSync(path.join(root, 'examples'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.experiment.json'));
  assert.ok(files.length >= 10, `examples found: ${files.length}`);
  const out: { name: string; value: unknown }[] = [];
  for (const f of files) {
    const value = parse(readFileSync(path.join(root, 'examples', f), 'utf8')) as Record<string, unknown>;
    out.push({ name: f, value });
    out.push({ name: `${f} without its kind's required fields`, value: { kind: value.kind } });
    out.push({ name: `${f} with a wrong type and an unknown field`, value: { ...value, name: 42, bogus: true } });
  }
  out.push({ name: 'an unknown kind', value: { kind: 'nope' } });
  return out;
}

describe('standalone experiment validators (written by the build)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ml-validators-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/experimentValidators.ts', dir], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [which, useDefaults] of [['check', false], ['withDefaults', true]] as const) {
    it(`${which}: the same verdict, errors and filled-in defaults as the compiled validator`, () => {
      const standalone = standaloneValidator(which, dir);
      assert.ok(standalone, 'the build wrote a loadable validator for these schemas');
      const compiled = makeAjv(useDefaults).compile(experimentSchema);
      for (const c of cases()) {
        const a = structuredClone(c.value);
        const b = structuredClone(c.value);
        assert.equal(standalone(a), compiled(b), c.name);
        const errors = (v: { errors?: typeof compiled.errors }) => (v.errors ?? []).map((e) => [e.instancePath, e.schemaPath, e.keyword, e.message]);
        assert.deepEqual(errors(standalone), errors(compiled), c.name);
        assert.deepEqual(a, b, `${c.name}: the same data after validation (defaults)`);
      }
    });
  }

  it('a validator made from other schemas (stale build) is not used', () => {
    const stale = mkdtempSync(path.join(os.tmpdir(), 'ml-validators-stale-'));
    try {
      for (const file of Object.values(STANDALONE_VALIDATORS)) {
        writeFileSync(path.join(stale, file), readFileSync(path.join(dir, file), 'utf8').replace(/schemaHash = "[0-9a-f]+"/, 'schemaHash = "0000000000000000"'));
      }
      assert.equal(standaloneValidator('check', stale), undefined);
      assert.equal(standaloneValidator('withDefaults', path.join(stale, 'missing')), undefined);
    } finally {
      rmSync(stale, { recursive: true, force: true });
    }
  });
});
