import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { flopsSavedOf, readCheckpoint, type TrainCheckpoint, writeCheckpoint } from '../../../src/core/train/checkpoint';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'model-lab-ckpt-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function checkpoint(epoch: number): TrainCheckpoint {
  return {
    epoch,
    globalStep: epoch * 10,
    modelWeights: [
      { shape: [2, 3], dtype: 'float32', data: Float32Array.from([1.5, -2, 3e-8, 4, 5, 6 + epoch]) },
      { shape: [1], dtype: 'int32', data: Int32Array.from([-7]) },
    ],
    optimizer: [
      { variable: -1, slot: 'iter', shape: [], dtype: 'int32', data: Int32Array.from([epoch * 10]) },
      { variable: 0, slot: 'm', shape: [3], dtype: 'float32', data: Float32Array.from([0.1, 0.2, 0.3]) },
    ],
    policy: 'autofreeze',
    policyState: { frozen: 1, prev: [1, 2] },
    frozenPrefix: 1,
    rngState: [1, 2, 3, 4],
    elapsedSeconds: 12.5,
    history: [],
    freezeEvents: [{ layer: 'fc1', epoch: 1, step: 10 }],
    flops: { examples: 100, fullForward: 10, fullBackward: 20, savedForward: 1, savedBackward: 5 },
  };
}

describe('writeCheckpoint / readCheckpoint', () => {
  it('returns undefined where no checkpoint was written', async () => {
    assert.equal(await readCheckpoint(dir), undefined);
  });

  it('round-trips every field, tensors bit-exact, and keeps only the newest tensors file', async () => {
    await writeCheckpoint(dir, checkpoint(1));
    await writeCheckpoint(dir, checkpoint(2));
    const back = await readCheckpoint(dir);
    assert.deepEqual(back, { ...checkpoint(2), source: path.join(dir, 'checkpoint.json') });
    assert.ok(back!.modelWeights[0].data instanceof Float32Array);
    assert.ok(back!.modelWeights[1].data instanceof Int32Array);
    assert.deepEqual((await readdir(dir)).sort(), ['checkpoint-e2.bin', 'checkpoint.json']);
  });

  it('names a mid-epoch checkpoint\'s tensors file after its step and round-trips where in the epoch it stopped', async () => {
    const partial = { ...checkpoint(2), globalStep: 27, partialEpoch: { step: 7, rngState: [-5, 6, 7, 8], lossSum: 12.25, seconds: 1.5 } };
    await writeCheckpoint(dir, partial);
    assert.deepEqual(await readCheckpoint(dir), { ...partial, source: path.join(dir, 'checkpoint.json') });
    assert.deepEqual((await readdir(dir)).sort(), ['checkpoint-e2-s27.bin', 'checkpoint.json']);
  });

  it('turns running totals into saved fractions', () => {
    assert.deepEqual(flopsSavedOf(checkpoint(1).flops), { forward: 0.1, backward: 0.25 });
    assert.deepEqual(flopsSavedOf({ examples: 0, fullForward: 0, fullBackward: 0, savedForward: 0, savedBackward: 0 }), { forward: 0, backward: 0 });
  });
});

describe('readCheckpoint of a damaged or crafted run folder', () => {
  /** A run folder with a valid checkpoint whose manifest `edit` changes; returns the run folder. */
  async function runFolder(edit: (m: Record<string, any>) => void = () => undefined): Promise<string> {
    const run = await mkdtemp(path.join(dir, 'run-'));
    const ckptDir = path.join(run, 'checkpoint');
    await writeCheckpoint(ckptDir, checkpoint(1));
    const file = path.join(ckptDir, 'checkpoint.json');
    const m = JSON.parse(await readFile(file, 'utf8'));
    edit(m);
    await writeFile(file, JSON.stringify(m));
    return run;
  }
  /** Reads the folder's checkpoint as a resume does and expects a one-line user error naming the manifest. */
  async function refused(run: string, message: RegExp): Promise<void> {
    await assert.rejects(readCheckpoint(path.join(run, 'checkpoint'), run), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      assert.equal(e.file, path.join(run, 'checkpoint', 'checkpoint.json'));
      return true;
    });
  }

  it('reads an intact one', async () => {
    const run = await runFolder();
    assert.equal((await readCheckpoint(path.join(run, 'checkpoint'), run))?.epoch, 1);
  });

  it('refuses a manifest that is not JSON, or whose fields are missing or of the wrong type', async () => {
    const broken = await runFolder();
    await writeFile(path.join(broken, 'checkpoint', 'checkpoint.json'), '{"format": "model-lab-checkpoint/1", "epoch": ');
    await refused(broken, /^damaged checkpoint: checkpoint\.json: invalid JSON at line 1, column \d+: /);
    await refused(await runFolder((m) => (m.epoch = 'one')), /"epoch" must be an integer >= 0/);
    await refused(await runFolder((m) => delete m.rngState), /"rngState" must be four 32-bit integers/);
    await refused(await runFolder((m) => (m.modelWeights[0].shape = [2, -3])), /"modelWeights" must be a list of tensor entries/);
    await refused(await runFolder((m) => (m.optimizer[1].variable = 'x')), /"optimizer" must be a list/);
    await refused(await runFolder((m) => (m.format = 'other/2')), /unknown format "other\/2"/);
  });

  it('refuses tensors that lie outside the tensors file, and NaN or infinite values', async () => {
    await refused(await runFolder((m) => (m.modelWeights[0].offset = 4096)), /model weight 0 .* lies outside checkpoint-e1\.bin/);
    await refused(await runFolder((m) => (m.modelWeights[0].shape = [2000, 3])), /lies outside/);
    const nan = await runFolder();
    const bin = path.join(nan, 'checkpoint', 'checkpoint-e1.bin');
    const bytes = await readFile(bin);
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(4, NaN, true);
    await writeFile(bin, bytes);
    await refused(nan, /model weight 0 holds NaN at index 1/);
  });

  it('never reads outside the run folder: names with a path, absolute paths and symbolic links out of it are refused', async () => {
    const secret = path.join(dir, 'secret.bin');
    await writeFile(secret, new Uint8Array(64));
    await refused(await runFolder((m) => (m.tensorsFile = '../../secret.bin')), /tensors file "\.\.\/\.\.\/secret\.bin" is not a checkpoint-\*\.bin file of this folder/);
    await refused(await runFolder((m) => (m.tensorsFile = secret)), /is not a checkpoint-\*\.bin file of this folder/);
    // A tensors file that is a link to a file elsewhere.
    const linked = await runFolder((m) => (m.tensorsFile = 'checkpoint-e9.bin'));
    await symlink(secret, path.join(linked, 'checkpoint', 'checkpoint-e9.bin'));
    await refused(linked, /leads outside/);
    // The whole checkpoint folder a link to another run's.
    const other = await runFolder();
    const run = await mkdtemp(path.join(dir, 'run-'));
    await symlink(path.join(other, 'checkpoint'), path.join(run, 'checkpoint'));
    await refused(run, /leads outside/);
    // A link that stays inside the run folder is fine.
    const inside = await runFolder();
    await mkdir(path.join(inside, 'store'));
    await writeFile(path.join(inside, 'store', 'tensors.bin'), await readFile(path.join(inside, 'checkpoint', 'checkpoint-e1.bin')));
    const manifest = JSON.parse(await readFile(path.join(inside, 'checkpoint', 'checkpoint.json'), 'utf8'));
    manifest.tensorsFile = 'checkpoint-e7.bin';
    await writeFile(path.join(inside, 'checkpoint', 'checkpoint.json'), JSON.stringify(manifest));
    await symlink(path.join(inside, 'store', 'tensors.bin'), path.join(inside, 'checkpoint', 'checkpoint-e7.bin'));
    assert.equal((await readCheckpoint(path.join(inside, 'checkpoint'), inside))?.epoch, 1);
  });
});
