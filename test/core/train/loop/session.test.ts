import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { NonFiniteLossError, NonFiniteStateError, type StepRecord, TrainingSession } from '../../../../src/core/train/loop';
import { SESSION_MANIFEST } from '../../../../src/core/train/loop/sessionCheckpoint';
import { snapshot, useBackend } from '../fixtures';
import { buildReferenceRun, TOTAL_STEPS } from './fixtures/referenceRun';

let tmp: string;
before(async () => {
  await useBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'session-test-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const dirFor = (() => {
  let n = 0;
  return (label: string) => path.join(tmp, `${label}-${n++}`);
})();

function mlp(seed: number, inputs = 3, units = 4): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** The tensors file and the manifest (minus what legitimately differs between writes). */
async function checkpointContent(dir: string): Promise<{ bytes: Buffer; manifest: Record<string, unknown> }> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, SESSION_MANIFEST), 'utf8'));
  const bytes = await fs.readFile(path.join(dir, manifest.tensorsFile));
  for (const k of ['tensorsFile', 'trainSeconds']) delete manifest[k];
  // Auto-generated layer names (dense_Dense12/kernel) differ between builds; positions bind weights.
  for (const g of manifest.groups) for (const w of g.weights) delete w.name;
  for (const c of manifest.copies) for (const w of c.weights) delete w.name;
  return { bytes, manifest };
}

async function assertSameCheckpoint(a: string, b: string): Promise<void> {
  const [ca, cb] = [await checkpointContent(a), await checkpointContent(b)];
  assert.deepEqual(cb.manifest, ca.manifest);
  assert.ok(ca.bytes.equals(cb.bytes), 'every weight, copy and optimizer slot is bit-identical');
}

/** Runs the reference plan to the end without interruption and saves it. */
async function straightRun(seed: number): Promise<{ dir: string; records: StepRecord[] }> {
  const run = buildReferenceRun(seed);
  const records: StepRecord[] = [];
  const result = await run.session.run(run.stages, { onStep: (r) => void records.push(r) });
  assert.deepEqual(result, { status: 'completed', step: TOTAL_STEPS });
  const dir = dirFor('straight');
  await run.session.save(dir);
  run.dispose();
  return { dir, records };
}

describe('TrainingSession.step', () => {
  it('updates only the named groups; frozen networks and other groups stay bit-identical', () => {
    const s = new TrainingSession({ seed: 1 });
    const a = s.addNetwork('a', mlp(1), { optimizer: { type: 'sgd', learningRate: 0.1 } });
    const frozen = s.addNetwork('frozen', mlp(2));
    const { w } = s.addVariables('v', { w: tf.tensor1d([1, -2, 3]) }, { optimizer: { type: 'sgd', learningRate: 0.5 } });
    const x = tf.tensor2d([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]]);
    const loss = () =>
      tf.add(tf.sum(tf.square(a.apply(x) as tf.Tensor)), tf.add(tf.sum(tf.square(frozen.apply(x) as tf.Tensor)), tf.sum(tf.square(w))));
    const aBefore = snapshot(a.getWeights());
    const frozenBefore = snapshot(frozen.getWeights());
    const metrics = s.step('v', loss);
    assert.ok(metrics.loss > 0);
    // d/dw sum(w^2) = 2w, SGD: w - 0.5 * 2w = 0
    assert.deepEqual(Array.from(w.dataSync()), [0, 0, 0]);
    assert.deepEqual(snapshot(a.getWeights()), aBefore, 'a group not named in step() is a constant');
    s.step('a', loss);
    assert.notDeepEqual(snapshot(a.getWeights()), aBefore);
    assert.deepEqual(snapshot(frozen.getWeights()), frozenBefore, 'a frozen network never changes');
    assert.throws(() => s.step('frozen', loss), /'frozen' is frozen/);
    assert.throws(() => s.step('nope', loss), /no group 'nope'/);
    assert.throws(() => s.addNetwork('again', a), /'again' shares variable .* with 'a'/);
    assert.throws(() => s.addNetwork('a', mlp(3)), /'a' is already registered/);
    assert.throws(() => s.addVariables('c', { w: tf.scalar(1) }, { clipNorm: 1 }), /'c' has clipNorm but no optimizer/);
    s.dispose();
    x.dispose();
    a.dispose();
    frozen.dispose();
  });

  it('trains several groups on one loss, each with its own optimizer, and reports named metrics', () => {
    const s = new TrainingSession({ seed: 1 });
    const { p } = s.addVariables('p', { p: tf.scalar(1) }, { optimizer: { type: 'sgd', learningRate: 0.1 } });
    const { q } = s.addVariables('q', { q: tf.scalar(1) }, { optimizer: { type: 'sgd', learningRate: 0.2 } });
    const m = s.step(['p', 'q'], () => {
      const lp = tf.square(p);
      const lq = tf.square(q);
      return { loss: tf.add(lp, lq), lp, lq };
    }, { name: 'joint' });
    assert.deepEqual(m, { joint: 2, lp: 1, lq: 1 });
    assert.equal(p.dataSync()[0], Math.fround(1 - 0.1 * 2));
    assert.equal(q.dataSync()[0], Math.fround(1 - 0.2 * 2));
    assert.throws(() => s.step('p', () => ({ loss: tf.square(p), v: tf.ones([2]) })), /metric 'v' is not a scalar/);
    assert.throws(() => s.step('p', () => tf.square(q)), /the loss does not depend on 'p'/);
    assert.throws(() => s.step('p', () => tf.mul(p, tf.ones([2]))), /step 'loss': the loss must be a scalar, got shape \[2\]/);
    s.dispose();
  });

  it('a NaN loss throws NonFiniteLossError and updates nothing', () => {
    const s = new TrainingSession({ seed: 1 });
    const { w } = s.addVariables('v', { w: tf.tensor1d([1, 2]) }, { optimizer: { type: 'adam', learningRate: 0.1 } });
    assert.throws(
      () => s.step('v', () => tf.mul(tf.sum(w), NaN), { name: 'critic' }),
      (e: unknown) => e instanceof NonFiniteLossError && e.stepName === 'critic' && Number.isNaN(e.value),
    );
    assert.deepEqual(Array.from(w.dataSync()), [1, 2]);
    s.dispose();
  });

  it('clipNorm scales the group gradient to that global norm', () => {
    const s = new TrainingSession({ seed: 1 });
    const { a, b } = s.addVariables('v', { a: tf.tensor1d([0, 0]), b: tf.scalar(0) }, { optimizer: { type: 'sgd', learningRate: 1 }, clipNorm: 1 });
    // gradient (3, 0, 4): norm 5, clipped to (0.6, 0, 0.8); SGD lr 1 moves by minus that.
    s.step('v', () => tf.add(tf.sum(tf.mul(a, tf.tensor1d([3, 0]))), tf.mul(b, 4)));
    const moved = [...a.dataSync(), ...b.dataSync()];
    [-0.6, 0, -0.8].forEach((v, i) => assert.ok(Math.abs(moved[i] - v) < 1e-6, `${moved}`));
    s.dispose();
  });

  it('setLearningRate changes the step size for sgd, momentum and adam', () => {
    for (const type of ['sgd', 'momentum', 'adam'] as const) {
      const s = new TrainingSession({ seed: 1 });
      const { w } = s.addVariables('v', { w: tf.scalar(0) }, { optimizer: { type, learningRate: 0.1 } });
      const move = () => {
        const before = w.dataSync()[0];
        s.step('v', () => tf.mul(w, 1));
        return before - w.dataSync()[0];
      };
      const first = move();
      s.setLearningRate('v', 0.01);
      assert.equal(s.learningRate('v'), 0.01);
      s.reset('v', { w: tf.scalar(0) }); // fresh moments, same (new) rate: comparable steps
      const second = move();
      assert.ok(Math.abs(second / first - 0.1) < 1e-3, `${type}: ${first} then ${second}`);
      s.dispose();
    }
  });

  it('reset assigns new values and a fresh optimizer', async () => {
    const s = new TrainingSession({ seed: 1 });
    const { x } = s.addVariables('inputs', { x: tf.tensor1d([1, 1]) }, { optimizer: { type: 'adam', learningRate: 0.5 } });
    s.step('inputs', () => tf.sum(tf.square(x)));
    s.reset('inputs', { x: tf.tensor1d([5, 6]) });
    assert.deepEqual(Array.from(x.dataSync()), [5, 6]);
    // Adam's first step from fresh moments moves each coordinate by the learning rate.
    s.step('inputs', () => tf.sum(tf.square(x)));
    Array.from(x.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - ([5, 6][i] - 0.5)) < 1e-5, `${v}`));
    assert.throws(() => s.reset('inputs', { x: tf.zeros([3]) }), /shape \[2\]/);
    s.dispose();
  });
});

describe('TrainingSession copies (targets, EMA)', () => {
  it('a copy starts equal, moves by tau towards its source, and tau = 1 copies exactly', () => {
    const s = new TrainingSession({ seed: 1 });
    const q = s.addNetwork('q', mlp(3), { optimizer: { type: 'adam', learningRate: 0.05 } });
    const qTarget = mlp(99);
    s.addCopy('qTarget', 'q', { model: qTarget });
    assert.deepEqual(snapshot(qTarget.getWeights()), snapshot(q.getWeights()));
    const x = tf.randomNormal([8, 3], 0, 1, 'float32', 4);
    for (let i = 0; i < 3; i++) s.step('q', () => tf.mean(tf.square(tf.sub(q.apply(x) as tf.Tensor, 1))));
    const old = snapshot(qTarget.getWeights());
    const src = snapshot(q.getWeights());
    s.updateCopy('qTarget', 0.25);
    snapshot(qTarget.getWeights()).forEach((w, i) =>
      w.forEach((v, j) => assert.ok(Math.abs(v - (0.25 * src[i][j] + 0.75 * old[i][j])) < 1e-6)),
    );
    assert.deepEqual(snapshot(q.getWeights()), src, 'the source is not changed by its copy');
    s.updateCopy('qTarget');
    assert.deepEqual(snapshot(qTarget.getWeights()), src);
    assert.throws(() => s.updateCopy('qTarget', 0), /tau must be in \(0, 1\]/);
    assert.throws(() => s.addCopy('bad', 'q'), /needs a model of the same architecture/);
    assert.throws(() => s.addCopy('bad', 'q', { model: mlp(5, 3, 7) }), /does not match network 'q'/);
    s.dispose();
    tf.dispose(x);
  });

  it('withCopy swaps the copy in for fn and restores the source bit-for-bit, also when fn throws', async () => {
    const s = new TrainingSession({ seed: 1 });
    const { w } = s.addVariables('net', { w: tf.tensor1d([1, 2]) }, { optimizer: { type: 'sgd', learningRate: 0.1 } });
    s.addCopy('ema', 'net');
    s.step('net', () => tf.sum(tf.mul(w, tf.tensor1d([1, -1]))));
    const own = Array.from(w.dataSync());
    const seen = await s.withCopy('ema', () => Array.from(w.dataSync()));
    assert.deepEqual(seen, [1, 2], 'inside, the source holds the copy');
    assert.deepEqual(Array.from(w.dataSync()), own);
    await assert.rejects(s.withCopy('ema', () => Promise.reject(new Error('boom'))), /boom/);
    assert.deepEqual(Array.from(w.dataSync()), own);
    assert.deepEqual(Array.from(s.variables('ema').w.dataSync()), [1, 2], 'a variable-set copy is frozen until updated');
    s.dispose();
  });
});

describe('TrainingSession.run', () => {
  it('runs stages in order with their hooks, learning rates, epochs and records', async () => {
    const { records } = await straightRun(3);
    const run = buildReferenceRun(3);
    await run.session.run(run.stages);
    assert.deepEqual(run.log, ['begin warmup', 'end warmup', 'begin main at 7', 'epochEnd 0', 'epochEnd 1', 'epochEnd 2', 'end main']);
    assert.equal(run.session.learningRate('head'), 0.005, "the stage's learning rate");
    assert.deepEqual(run.session.position, { stageIndex: 2, stageStep: 0, globalStep: TOTAL_STEPS });
    assert.deepEqual(records.map((r) => r.step), Array.from({ length: TOTAL_STEPS }, (_, i) => i + 1));
    assert.deepEqual(records.filter((r) => r.epochEnd).map((r) => r.step), [11, 15, 19]);
    assert.deepEqual(records.filter((r) => r.stageEnd).map((r) => r.step), [7, 19]);
    assert.deepEqual(Object.keys(records[0].metrics), ['loss']);
    assert.deepEqual(Object.keys(records[10].metrics), ['main', 'ce', 'consistency', 'scale', 'emaAccuracy']);
    const warmup = records.slice(0, 7).map((r) => r.metrics.loss);
    assert.ok(warmup[6] < warmup[0], `training reduces the loss: ${warmup}`);
    assert.deepEqual(await run.session.run(run.stages), { status: 'completed', step: TOTAL_STEPS }, 'a finished plan stays finished');
    await assert.rejects(run.session.run(run.stages.slice(1)), /runs the plan \[warmup, main\]/);
    run.dispose();
  });

  it('is deterministic under a seed: same seed, identical records and state; another seed differs', async () => {
    const a = await straightRun(11);
    const b = await straightRun(11);
    const c = await straightRun(12);
    assert.deepEqual(b.records, a.records);
    await assertSameCheckpoint(a.dir, b.dir);
    assert.notDeepEqual(c.records, a.records);
  });

  it('stops before the next step once a request arrives through the event loop (one step at most)', async () => {
    const s = new TrainingSession({ seed: 1, yieldEveryMs: 0 });
    const { w } = s.addVariables('v', { w: tf.scalar(3) }, { optimizer: { type: 'sgd', learningRate: 0.01 } });
    let requested = false;
    let stepAtRequest = -1;
    setImmediate(() => {
      requested = true;
      stepAtRequest = s.position.globalStep;
    });
    const result = await s.run([{ name: 'long', steps: 1_000_000, trainable: 'v', loss: () => tf.square(w) }], { shouldStop: () => requested });
    assert.equal(result.status, 'stopped');
    assert.equal(result.stage, 'long');
    assert.equal(result.step, stepAtRequest, 'no step starts after the request is seen');
    s.dispose();
  });

  it('with the default throttle a timer still gets through within a step of firing', async () => {
    const s = new TrainingSession({ seed: 1 });
    const { w } = s.addVariables('v', { w: tf.scalar(3) }, { optimizer: { type: 'sgd', learningRate: 0.01 } });
    let requested = false;
    let stepAtRequest = -1;
    setTimeout(() => {
      requested = true;
      stepAtRequest = s.position.globalStep;
    }, 1);
    const result = await s.run([{ name: 'long', steps: 10_000_000, trainable: 'v', loss: () => tf.square(w) }], { shouldStop: () => requested });
    assert.equal(result.status, 'stopped');
    assert.ok(result.step <= stepAtRequest + 1 && result.step < 10_000_000, `${result.step} vs ${stepAtRequest}`);
    s.dispose();
  });

  it('holds the number of tensors flat over steps, copies, EMA evaluation, saves and a load', async () => {
    const run = buildReferenceRun(5);
    // Optimizer slots appear at each group's first update (the scale group's in the first main step).
    await run.session.run(run.stages, { shouldStop: () => run.session.position.globalStep >= 8 });
    const dir = dirFor('leak');
    const base = tf.memory().numTensors;
    await run.session.run(run.stages, { onStep: () => run.session.save(dir) });
    assert.equal(tf.memory().numTensors, base);
    await run.session.load(dir);
    assert.equal(tf.memory().numTensors, base);
    run.dispose();

    const s = new TrainingSession({ seed: 1 });
    const { w } = s.addVariables('v', { w: tf.scalar(3) }, { optimizer: { type: 'sgd', learningRate: 0.01 } });
    const before = tf.memory().numTensors;
    const leaky = async () => {
      tf.ones([10]); // created and never disposed by the step itself
      await Promise.resolve();
      s.step('v', () => tf.square(w));
      tf.zeros([3]);
    };
    await s.run([{ name: 'leaky', steps: 50, step: leaky, begin: () => void tf.ones([2]) }]);
    assert.equal(tf.memory().numTensors, before, 'tensors a step forgets are released when it returns');
    s.dispose();
  });

  it('rejects bad plans with the stage named', async () => {
    const s = new TrainingSession({ seed: 1 });
    s.addVariables('v', { w: tf.scalar(3) }, { optimizer: { type: 'sgd', learningRate: 0.01 } });
    s.addVariables('frozen', { w: tf.scalar(3) });
    const loss = () => tf.scalar(0);
    await assert.rejects(s.run([{ name: 'a', steps: 0, trainable: 'v', loss }]), /stage 'a': steps must be a positive integer/);
    await assert.rejects(s.run([{ name: 'a', epochs: 2, trainable: 'v', loss }]), /stage 'a': give steps, or epochs and stepsPerEpoch/);
    await assert.rejects(s.run([{ name: 'a', steps: 1, trainable: 'frozen', loss }]), /stage 'a': no trainable group 'frozen'/);
    await assert.rejects(s.run([{ name: 'a', steps: 1, trainable: 'v' }]), /trainable and loss go together/);
    await assert.rejects(s.run([{ name: 'a', steps: 1, step: () => {}, trainable: 'v', loss }]), /either step, or trainable and loss/);
    await assert.rejects(s.run([{ name: 'a', steps: 1, step: () => {} }, { name: 'a', steps: 1, step: () => {} }]), /two stages are named 'a'/);
    await assert.rejects(s.run([{ name: 'a', steps: 1, learningRates: { x: 1 }, step: () => {} }]), /no trainable group 'x'/);
    s.dispose();
  });
});

describe('TrainingSession checkpoint and resume', () => {
  for (const splitAt of [3, 7, 9, 15]) {
    it(`stopping at step ${splitAt}, saving, and resuming in a new session reproduces the uninterrupted run bit-for-bit`, async () => {
      const straight = await straightRun(21);
      const first = buildReferenceRun(21);
      const records: StepRecord[] = [];
      const r1 = await first.session.run(first.stages, { shouldStop: () => first.session.position.globalStep >= splitAt, onStep: (r) => void records.push(r) });
      assert.deepEqual(r1, { status: 'stopped', step: splitAt, stage: splitAt < 7 ? 'warmup' : 'main' });
      const dir = dirFor('resume');
      await first.session.save(dir);
      first.dispose();

      // A new session, as a new process would build it (new models, different variable names).
      const second = buildReferenceRun(21);
      const loaded = await second.session.load(dir);
      assert.equal(loaded?.position.globalStep, splitAt);
      const r2 = await second.session.run(second.stages, { onStep: (r) => void records.push(r) });
      assert.deepEqual(r2, { status: 'completed', step: TOTAL_STEPS });
      assert.equal(second.log.filter((l) => l.startsWith('begin')).length, splitAt <= 7 ? 1 : 0, 'begin runs only for stages not yet begun');
      const end = dirFor('resumed');
      await second.session.save(end);
      second.dispose();
      await assertSameCheckpoint(straight.dir, end);
      assert.deepEqual(records, straight.records, 'the same losses and metrics at every step');
    });
  }

  it('resumes in a separate Node process bit-for-bit', async () => {
    const straight = await straightRun(31);
    const first = buildReferenceRun(31);
    await first.session.run(first.stages, { shouldStop: () => first.session.position.globalStep >= 10 });
    const from = dirFor('child-from');
    await first.session.save(from, { json: { note: 'kept' } });
    first.dispose();
    const to = dirFor('child-to');
    const root = path.resolve(__dirname, '../../../..');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures/resumeChild.ts'), '31', from, to], { cwd: root });
    assert.deepEqual(JSON.parse(stdout), { resumedAt: 10, result: { status: 'completed', step: TOTAL_STEPS } });
    const straightContent = await checkpointContent(straight.dir);
    const childContent = await checkpointContent(to);
    assert.ok(childContent.bytes.equals(straightContent.bytes), 'bit-identical state after resuming in another process');
    assert.deepEqual((childContent.manifest.extra as { json: unknown }).json, { note: 'kept' });
  });

  it('saves the caller state (JSON and typed arrays) and returns it on load', async () => {
    const s = new TrainingSession({ seed: 1 });
    s.addVariables('v', { w: tf.scalar(3) }, { optimizer: { type: 'adam', learningRate: 0.01 } });
    const dir = dirFor('extra');
    const replay = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
    await s.save(dir, { json: { episodes: 12 }, arrays: { replay, actions: Int32Array.from([3, 1, 2]) } });
    const loaded = await s.load(dir);
    assert.deepEqual(loaded?.extra.json, { episodes: 12 });
    assert.deepEqual(loaded?.extra.arrays?.replay, replay);
    assert.deepEqual(loaded?.extra.arrays?.actions, Int32Array.from([3, 1, 2]));
    assert.equal(await s.load(path.join(tmp, 'does-not-exist')), undefined);
    s.dispose();
  });

  it('refuses a checkpoint that does not fit the session, changing nothing', async () => {
    const make = (units: number, extraGroup = false) => {
      const s = new TrainingSession({ seed: 1 });
      const m = s.addNetwork('net', mlp(1, 3, units), { optimizer: { type: 'adam', learningRate: 0.01 } });
      if (extraGroup) s.addVariables('extra', { w: tf.scalar(0) });
      return { s, m };
    };
    const src = make(4);
    const dir = dirFor('mismatch');
    await src.s.save(dir);
    const wider = make(5);
    const before = snapshot(wider.m.getWeights());
    await assert.rejects(wider.s.load(dir), /'net' has weights \[3,4\].*this session \[3,5\]/);
    assert.deepEqual(snapshot(wider.m.getWeights()), before);
    const more = make(4, true);
    await assert.rejects(more.s.load(dir), /holds groups \[net\].*this session has \[extra, net\]/);
    const sgd = new TrainingSession({ seed: 1 });
    sgd.addNetwork('net', mlp(1), { optimizer: { type: 'sgd', learningRate: 0.01 } });
    await assert.rejects(sgd.load(dir), /trained with adam, this session uses sgd/);
    for (const x of [src, wider, more]) {
      x.s.dispose();
      x.m.dispose();
    }
    sgd.network('net').dispose();
    sgd.dispose();
  });

  it('refuses to save non-finite weights, and to save inside a step', async () => {
    const s = new TrainingSession({ seed: 1 });
    const { w } = s.addVariables('v', { w: tf.scalar(3) }, { optimizer: { type: 'sgd', learningRate: 0.01 } });
    const dir = dirFor('nan');
    await s.save(dir);
    w.assign(tf.scalar(NaN));
    await assert.rejects(s.save(dir), (e: Error) => e instanceof NonFiniteStateError && /refusing to checkpoint 'v': w holds NaN/.test(e.message));
    w.assign(tf.scalar(1));
    assert.ok(await s.load(dir), 'the good checkpoint is still there');
    assert.equal(w.dataSync()[0], 3);
    await assert.rejects(
      s.run([{ name: 'a', steps: 1, step: () => s.save(dir) }]),
      /save\(\) runs between steps/,
    );
    s.dispose();
  });
});
