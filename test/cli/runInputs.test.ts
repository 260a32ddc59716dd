import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as store from '../../src/runner/runStore';
import { assertOneLineError, cli, root } from './cliProcess';

// Hostile or broken input to `model-lab run`: each is a user error (exit 2, one line, no stack
// trace) or, for a run that diverges, exit 1 with one line naming where; nothing is read from
// outside a run folder.
const fixtures = path.join(root, 'test', 'fixtures', 'runner');
const digits = path.join(root, 'examples', 'digits', 'digits.csv.gz');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'ml-cli-inputs-'));

/** An experiment file in a fresh folder (data paths absolute). */
function experimentFile(exp: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = tmp();
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, 'x.experiment.json');
  writeFileSync(file, JSON.stringify({ kind: 'train', name: 'x', training: { epochs: 2, batchSize: 16 }, ...exp }, null, 2));
  return file;
}

const smallModel = { inputShape: [4], layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] };
const rows = (n: number, value: (i: number) => string) => Array.from({ length: n }, (_, i) => `${[0, 1, 2, 3].map(() => value(i)).join(',')},${i % 3}`).join('\n') + '\n';

// A finished run of the tiny fixture, copied and damaged by the tests below.
let finishedRun: Promise<string> | undefined;
function finished(): Promise<string> {
  finishedRun ??= cli(['run', path.join(fixtures, 'tiny.experiment.json'), '--json', '--out', tmp()]).then((r) => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).runDir as string;
  });
  return finishedRun;
}

/** A copy of the finished run, marked cancelled (so it can be resumed), after `damage`. */
async function damagedRun(damage: (runDir: string) => void): Promise<string> {
  const runDir = path.join(tmp(), 'run');
  cpSync(await finished(), runDir, { recursive: true });
  const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  writeFileSync(path.join(runDir, 'run.json'), JSON.stringify({ ...record, runDir, status: 'cancelled', epochsDone: 3 }));
  damage(runDir);
  return runDir;
}

const editJson = (file: string, edit: (v: any) => void) => {
  const v = JSON.parse(readFileSync(file, 'utf8'));
  edit(v);
  writeFileSync(file, JSON.stringify(v, null, 2));
};

test('a damaged checkpoint or config.json is one line (exit 2), never a stack trace, and nothing outside the run folder is read', async () => {
  const manifest = (runDir: string) => path.join(runDir, 'checkpoint', 'checkpoint.json');
  const outside = path.join(tmp(), 'elsewhere.bin');
  writeFileSync(outside, new Uint8Array(1 << 16));
  const cases: [string, (runDir: string) => void, RegExp][] = [
    ['a truncated manifest', (d) => writeFileSync(manifest(d), '{"format": "model-lab-checkpoint/1", "epo'), /checkpoint\.json: damaged checkpoint: checkpoint\.json: invalid JSON at line 1, column \d+: /],
    ['NaN weights', (d) => {
      const bin = path.join(d, 'checkpoint', readdirSync(path.join(d, 'checkpoint')).find((f) => f.endsWith('.bin'))!);
      const bytes = readFileSync(bin);
      new DataView(bytes.buffer, bytes.byteOffset).setFloat32(0, NaN, true);
      writeFileSync(bin, bytes);
    }, /damaged checkpoint: model weight 0 holds NaN at index 0/],
    ['a tensors file outside the run folder', (d) => editJson(manifest(d), (m) => (m.tensorsFile = path.relative(path.join(d, 'checkpoint'), outside))), /damaged checkpoint: its tensors file ".*elsewhere\.bin" is not a checkpoint-\*\.bin file of this folder/],
    ['a tensors file linked to a file outside', (d) => {
      editJson(manifest(d), (m) => (m.tensorsFile = 'checkpoint-e99.bin'));
      symlinkSync(outside, path.join(d, 'checkpoint', 'checkpoint-e99.bin'));
    }, /damaged checkpoint: "checkpoint\/checkpoint-e99\.bin" leads outside/],
    ['a checkpoint of another model', (d) => editJson(path.join(d, 'config.json'), (c) => (c.experiment.model.layers[0].units = 16)), /checkpoint does not fit this run: weight 0 is float32 \[64, 32\], the model's is float32 \[64, 16\]/],
    ['config.json that is not JSON', (d) => writeFileSync(path.join(d, 'config.json'), '{"experimentFile": '), /config\.json:1:\d+: damaged run configuration: not valid JSON: value expected/],
    ['config.json with an invalid experiment', (d) => editJson(path.join(d, 'config.json'), (c) => (c.experiment.training.epochs = 'many')), /config\.json:\d+:\d+: \/experiment\/training\/epochs: damaged run configuration: epochs must be an integer, got "many"/],
    ['config.json linked to a file outside', (d) => {
      const elsewhere = path.join(tmp(), 'config.json');
      renameSync(path.join(d, 'config.json'), elsewhere);
      symlinkSync(elsewhere, path.join(d, 'config.json'));
    }, /damaged run configuration: "config\.json" leads outside/],
  ];
  for (const [what, damage, message] of cases) {
    const runDir = await damagedRun(damage);
    const r = await cli(['run', '--resume', runDir, '--json']);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assertOneLineError(r, message);
  }
});

test('temp files left by killed writes are removed when the run is resumed; those of live processes stay', async () => {
  const dead = 'checkpoint.json.4194999.kq2x9a.tmp';
  const live = `checkpoint.json.${process.pid}.abc123.tmp`;
  const runDir = await damagedRun((d) => {
    writeFileSync(path.join(d, 'checkpoint', dead), '{"torn');
    writeFileSync(path.join(d, 'checkpoint', live), '{"being written');
    writeFileSync(path.join(d, 'run.json.4194998.zz.tmp'), '{');
  });
  const r = await cli(['run', '--resume', runDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(path.join(runDir, 'checkpoint', dead)));
  assert.ok(!existsSync(path.join(runDir, 'run.json.4194998.zz.tmp')));
  assert.ok(existsSync(path.join(runDir, 'checkpoint', live)), 'a live process\'s temp file is not touched');
  assert.match(r.stderr, /removed .*checkpoint\.json\.4194999\.kq2x9a\.tmp, left by an interrupted write/);
});

test('a diverged run ends `diverged`: exit 1, one line naming the epoch and step, and it is not resumed', async () => {
  // Values near the float32 maximum: the first layer's sums overflow and the loss is NaN.
  const file = experimentFile({ data: { format: 'csv', train: 'huge.csv' }, model: smallModel }, { 'huge.csv': rows(120, (i) => `${(1 + (i % 7)) * 4e37}`) });
  const r = await cli(['run', file, '--json', '--out', tmp()]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.status, 'diverged');
  const last = r.stderr.trim().split('\n').pop()!;
  assert.match(last, /^model-lab: training diverged at epoch 1, step \d+: the training loss is (NaN|-?Infinity); lower the learning rate or check the data for extreme values$/);
  assert.equal(doc.message, last.replace('model-lab: ', ''));
  const record = await store.readRunRecord(doc.runDir);
  assert.equal(record?.status, 'diverged');
  assert.equal(record?.message, doc.message);
  assertOneLineError(await cli(['run', '--resume', doc.runDir]), /diverged .*resuming would diverge again/);
});

test('data values beyond float32 are a data error at their row (file:line:col)', async () => {
  const bad = '1,1e39,2,3,1\n';
  const deep = experimentFile({ data: { format: 'csv', train: 'data.csv' }, model: smallModel }, { 'data.csv': rows(39, () => '0.5') + bad });
  assertOneLineError(await cli(['run', deep, '--json', '--out', tmp()]), /data\.csv:40:3: \/data\/train: value 1e39 in column 2 is beyond the float32 range/);
  // In the first rows, which the experiment's checks read too, it is reported at the field naming the file.
  const early = experimentFile({ data: { format: 'csv', train: 'data.csv' }, model: smallModel }, { 'data.csv': rows(5, () => '0.5') + bad });
  assertOneLineError(await cli(['run', early, '--json', '--out', tmp()]), /x\.experiment\.json:\d+:\d+: \/data\/train: data\.csv line 6: value 1e39 in column 2 is beyond the float32 range/);
});

test('a model that cannot fit in memory is refused before anything is allocated', async () => {
  const file = experimentFile({
    data: { format: 'csv', train: digits, limit: 100 },
    model: { inputShape: [64], layers: [{ type: 'dense', units: 65536 }, { name: 'wide', type: 'dense', units: 65536 }, { type: 'dense', units: 10, activation: 'softmax' }] },
  });
  assertOneLineError(
    await cli(['run', file, '--json', '--out', tmp()]),
    /x\.experiment\.json:\d+:\d+: \/model\/layers\/1: this run needs about \d+\.\d GiB \(model .* with gradients and optimizer state, data .*\), more than (the wasm backend can address \(4 GiB\)|this machine has .*); make the model smaller/,
  );
});

test('--out that is a file, or a folder that cannot be created, is a user error (not a crash or a hang)', async () => {
  const file = path.join(tmp(), 'a-file');
  writeFileSync(file, 'x');
  const tiny = path.join(fixtures, 'tiny.experiment.json');
  assertOneLineError(await cli(['run', tiny, '--out', file]), new RegExp(`cannot store runs in ${file}: ${file} is a file, not a folder`));
  assertOneLineError(await cli(['run', tiny, '--out', path.join(file, 'below')]), /is a file, not a folder/);
  // /proc refuses new folders with ENOENT, on which a recursive mkdir retries forever.
  if (existsSync('/proc/self')) assertOneLineError(await cli(['run', tiny, '--out', '/proc/model-lab-runs'], undefined, undefined, 120_000), /cannot store runs in \/proc\/model-lab-runs: cannot create the folder \/proc\/model-lab-runs \(ENOENT\)/);
});
