import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  readSessionCheckpoint,
  SESSION_MANIFEST,
  type SessionState,
  writeSessionCheckpoint,
} from '../../../../src/core/train/loop/sessionCheckpoint';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'session-ckpt-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let counter = 0;
const fresh = () => path.join(tmp, `c${counter++}`);

function state(step: number): SessionState {
  return {
    position: { stageIndex: 1, stageStep: 2, globalStep: step },
    plan: ['a', 'b'],
    rng: [1, 2, 3, 4],
    trainSeconds: 1.5,
    groups: [
      {
        name: 'net',
        kind: 'network',
        weights: [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32', data: Float32Array.from([1, 2, 3, step]) }],
        optimizer: {
          config: { type: 'adam', learningRate: 0.01 },
          learningRate: 0.005,
          slots: [
            { variable: -1, slot: 'iter', shape: [], dtype: 'float32', data: Float32Array.from([step]) },
            { variable: 0, slot: 'm', shape: [2, 2], dtype: 'float32', data: Float32Array.from([0.1, 0.2, 0.3, 0.4]) },
          ],
        },
      },
      { name: 'alpha', kind: 'variables', weights: [{ name: 'logAlpha', shape: [], dtype: 'float32', data: Float32Array.from([-4.6]) }] },
    ],
    copies: [{ name: 'target', of: 'net', weights: [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32', data: Float32Array.from([4, 3, 2, 1]) }] }],
    extra: { json: { episodes: [1, 2] }, arrays: { buffer: Float32Array.from([0.5, 1.5]), ids: Int32Array.from([7, -8]) } },
  };
}

describe('session checkpoint files', () => {
  it('round-trips every part of the state', async () => {
    const dir = fresh();
    await writeSessionCheckpoint(dir, state(9));
    assert.deepEqual(await readSessionCheckpoint(dir), state(9));
  });

  it('is a manifest plus one tensors file; a newer write replaces both and removes leftovers', async () => {
    const dir = fresh();
    await writeSessionCheckpoint(dir, state(1));
    await fs.writeFile(path.join(dir, `${SESSION_MANIFEST}.123.abc.tmp`), 'torn write of a killed run');
    await writeSessionCheckpoint(dir, state(2));
    const files = (await fs.readdir(dir)).sort();
    assert.equal(files.length, 2, files.join());
    assert.equal(files[0], SESSION_MANIFEST);
    assert.match(files[1], /^tensors-2-[a-z0-9]+\.bin$/);
    assert.equal((await readSessionCheckpoint(dir))?.position.globalStep, 2);
  });

  it('undefined when there is no checkpoint', async () => {
    assert.equal(await readSessionCheckpoint(path.join(tmp, 'missing')), undefined);
    const empty = fresh();
    await fs.mkdir(empty);
    assert.equal(await readSessionCheckpoint(empty), undefined);
  });

  it('a damaged checkpoint is an error that says so', async () => {
    const dir = fresh();
    await writeSessionCheckpoint(dir, state(3));
    const manifestPath = path.join(dir, SESSION_MANIFEST);
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    const binPath = path.join(dir, manifest.tensorsFile);
    const bin = await fs.readFile(binPath);

    bin[5] ^= 0xff;
    await fs.writeFile(binPath, bin);
    await assert.rejects(readSessionCheckpoint(dir), /damaged checkpoint: .* does not match the size and checksum/);
    bin[5] ^= 0xff;
    await fs.writeFile(binPath, bin.subarray(0, bin.length - 4));
    await assert.rejects(readSessionCheckpoint(dir), /does not match the size and checksum/);
    await fs.writeFile(binPath, bin);
    assert.ok(await readSessionCheckpoint(dir));

    await fs.writeFile(manifestPath, '{"format": "model-lab-session/1", "tensors');
    await assert.rejects(readSessionCheckpoint(dir), /damaged checkpoint: .*session\.json is not valid JSON/);
    await fs.writeFile(manifestPath, JSON.stringify({ ...manifest, format: 'model-lab-checkpoint/1' }));
    await assert.rejects(readSessionCheckpoint(dir), /not a training-session checkpoint/);
    for (const name of ['../outside.bin', '/etc/passwd', 'tensors-3-x/../../y.bin']) {
      await fs.writeFile(manifestPath, JSON.stringify({ ...manifest, tensorsFile: name }));
      await assert.rejects(readSessionCheckpoint(dir), /names an invalid tensors file/, name);
    }
    await fs.writeFile(manifestPath, JSON.stringify({ ...manifest, tensorsFile: 'tensors-3-gone.bin' }));
    await assert.rejects(readSessionCheckpoint(dir), /points at tensors-3-gone\.bin, which cannot be read \(ENOENT\)/);
    const outside = structuredClone(manifest);
    outside.groups[0].weights[0].offset = bin.length;
    await fs.writeFile(manifestPath, JSON.stringify(outside));
    await assert.rejects(readSessionCheckpoint(dir), /group 'net': tensor lies outside the tensors file/);
    const badShape = structuredClone(manifest);
    badShape.copies[0].weights[0].shape = [2, -1];
    await fs.writeFile(manifestPath, JSON.stringify(badShape));
    await assert.rejects(readSessionCheckpoint(dir), /copy 'target': malformed tensor entry/);
  });
});
