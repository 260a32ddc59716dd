import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { stopGradient, tapLayers, TrainingSession } from '../../../../src/core/train/loop';
import { createRng } from '../../../../src/core/util/random';
import { snapshot, useBackend } from '../fixtures';

/**
 * One small, realistic loop per lab family, written against the session's API the way the labs
 * will: if one of these needs something the API does not have, the API is missing it. Every
 * assertion is about behaviour (a loss falls, a frozen network stays put, a target moves by tau);
 * budgets are step counts, never time.
 */

before(useBackend);

const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Points around one prototype per class (features in about [0, 1]). */
function classData(seed: number, n: number, features: number, classes: number): { x: tf.Tensor2D; y: tf.Tensor2D; labels: number[] } {
  const rng = createRng(seed);
  const protos = Array.from({ length: classes }, () => Array.from({ length: features }, () => rng.next()));
  const labels = Array.from({ length: n }, () => rng.int(classes));
  const x = labels.flatMap((c) => protos[c].map((p) => p + 0.3 * (rng.next() - 0.5)));
  return { x: tf.tensor2d(x, [n, features]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() as tf.Tensor2D, labels };
}

function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(a, b)));
}

function rows(x: tf.Tensor, idx: Int32Array): tf.Tensor {
  return tf.gather(x, tf.tensor1d(idx, 'int32'));
}

describe('distillation (TinyBERT-style): teacher and student, hidden-state MSE through a learned projection, two stages', () => {
  it('stage 1 matches the projected student hidden state to the teacher, stage 2 distils predictions; the teacher never moves', async () => {
    const data = classData(1, 96, 8, 3);
    const teacher = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'teacher_hidden', inputShape: [8], units: 16, activation: 'tanh', kernelInitializer: glorot(1) }),
        tf.layers.dense({ name: 'teacher_logits', units: 3, kernelInitializer: glorot(2) }),
      ],
    });
    const student = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'student_hidden', inputShape: [8], units: 4, activation: 'tanh', kernelInitializer: glorot(3) }),
        tf.layers.dense({ name: 'student_logits', units: 3, kernelInitializer: glorot(4) }),
      ],
    });

    // The teacher is trained first (its own little session), then frozen.
    const pre = new TrainingSession({ seed: 1 });
    pre.addNetwork('teacher', teacher, { optimizer: { type: 'adam', learningRate: 0.02 } });
    await pre.run([
      { name: 'teacher', steps: 60, trainable: 'teacher', loss: (ctx) => {
        const idx = ctx.batch(96, 32);
        return tf.losses.softmaxCrossEntropy(rows(data.y, idx), teacher.apply(rows(data.x, idx)) as tf.Tensor);
      } },
    ]);
    pre.dispose();

    const s = new TrainingSession({ seed: 2 });
    s.addNetwork('teacher', teacher); // frozen: no optimizer
    s.addNetwork('student', student, { optimizer: { type: 'adam', learningRate: 0.02 } });
    const { W } = s.addVariables('proj', { W: tf.randomNormal([4, 16], 0, 0.5, 'float32', s.nextSeed()) }, { optimizer: { type: 'adam', learningRate: 0.02 } });
    const tapTeacher = tapLayers(teacher, { outputsOf: ['teacher_hidden'] });
    const tapStudent = tapLayers(student, { outputsOf: ['student_hidden'] });
    const agreement = () =>
      tf.tidy(() => tf.mean(tf.equal(tf.argMax(student.predict(data.x) as tf.Tensor, 1), tf.argMax(teacher.predict(data.x) as tf.Tensor, 1)).toFloat()).dataSync()[0]);

    const teacherBefore = snapshot(teacher.getWeights());
    let projAfterStage1: Float32Array[] = [];
    const hidden: number[] = [];
    const soft: number[] = [];
    let agreementAfterStage1 = 0;
    await s.run(
      [
        {
          name: 'intermediate',
          steps: 80,
          trainable: ['student', 'proj'],
          loss: (ctx) => {
            const x = rows(data.x, ctx.batch(96, 32));
            const t = tapTeacher(x).outputsOf.teacher_hidden;
            const h = tapStudent(x, { training: true }).outputsOf.student_hidden;
            const hiddenLoss = mse(tf.matMul(h, W), t);
            return { loss: hiddenLoss, hidden: hiddenLoss };
          },
          end: () => {
            projAfterStage1 = snapshot([W]);
            agreementAfterStage1 = agreement();
          },
        },
        {
          name: 'prediction',
          steps: 80,
          learningRates: { student: 0.01 },
          trainable: 'student',
          loss: (ctx) => {
            const x = rows(data.x, ctx.batch(96, 32));
            const target = tf.softmax(teacher.apply(x) as tf.Tensor); // temperature 1
            const logits = student.apply(x, { training: true }) as tf.Tensor;
            return { loss: tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1))) };
          },
        },
      ],
      { onStep: (r) => void (r.stage === 'intermediate' ? hidden.push(r.metrics.hidden) : soft.push(r.metrics.loss)) },
    );

    assert.ok(mean(hidden.slice(-10)) < 0.4 * mean(hidden.slice(0, 10)), `hidden-state MSE ${hidden[0]} -> ${hidden[hidden.length - 1]}`);
    assert.ok(mean(soft.slice(-10)) < mean(soft.slice(0, 10)), `soft cross-entropy ${soft[0]} -> ${soft[soft.length - 1]}`);
    const finalAgreement = agreement();
    assert.ok(finalAgreement >= 0.85 && finalAgreement > agreementAfterStage1, `student agrees with teacher on ${agreementAfterStage1} -> ${finalAgreement}`);
    assert.deepEqual(snapshot(teacher.getWeights()), teacherBefore, 'the teacher is frozen');
    assert.deepEqual(snapshot([W]), projAfterStage1, 'stage 2 does not train the projection');
    s.dispose();
    teacher.dispose();
    student.dispose();
    tf.dispose([data.x, data.y]);
  });
});

describe('data-free distillation (DeepInversion): optimise inputs against a frozen teacher\u2019s batch-norm statistics', () => {
  it('synthesised inputs match the running statistics and the target classes; the teacher and its statistics never move', async () => {
    const data = classData(3, 256, 6, 3);
    const teacher = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'fc1', inputShape: [6], units: 12, kernelInitializer: glorot(5) }),
        tf.layers.batchNormalization({ name: 'bn1', momentum: 0.8 }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.dense({ name: 'logits', units: 3, kernelInitializer: glorot(6) }),
      ],
    });
    const pre = new TrainingSession({ seed: 3 });
    pre.addNetwork('teacher', teacher, { optimizer: { type: 'adam', learningRate: 0.02 } });
    await pre.run([
      { name: 'teacher', steps: 60, trainable: 'teacher', loss: (ctx) => {
        const idx = ctx.batch(256, 64);
        return tf.losses.softmaxCrossEntropy(rows(data.y, idx), teacher.apply(rows(data.x, idx), { training: true }) as tf.Tensor);
      } },
    ]);
    pre.dispose();

    const bn = teacher.getLayer('bn1');
    const [runningMean, runningVar] = [bn.getWeights()[2], bn.getWeights()[3]];
    const tap = tapLayers(teacher, { inputsOf: ['bn1'] });
    const batch = 30;
    const targets = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 3), 'int32'), 3).toFloat();

    const s = new TrainingSession({ seed: 4 });
    s.addNetwork('teacher', teacher); // frozen, checkpointed with the synthesis state
    const { x } = s.addVariables('inputs', { x: s.randomNormal([batch, 6]) }, { optimizer: { type: 'adam', learningRate: 0.05 } });
    const teacherBefore = snapshot(teacher.getWeights());
    const bnLoss: number[][] = [[], []];
    const synthesised: Float32Array[] = [];
    const losses = () => {
      const out = tap(x); // inference mode: running statistics are read, never updated
      const { mean: mu, variance } = tf.moments(out.inputsOf.bn1, 0);
      const bnTerm = tf.add(tf.norm(tf.sub(mu, runningMean)), tf.norm(tf.sub(variance, runningVar)));
      const ce = tf.losses.softmaxCrossEntropy(targets, out.output as tf.Tensor);
      return { loss: tf.add(ce, bnTerm), bn: bnTerm, ce };
    };
    await s.run(
      [
        {
          name: 'synthesis',
          epochs: 2, // two batches of inputs, each optimised from fresh noise with a fresh optimizer
          stepsPerEpoch: 150,
          step: (ctx) => {
            if (ctx.stepInEpoch === 0 && ctx.epoch > 0) s.reset('inputs', { x: s.randomNormal([batch, 6]) });
            bnLoss[ctx.epoch].push(s.step('inputs', losses).bn);
          },
          epochEnd: () => void synthesised.push(...snapshot([x])),
        },
      ],
    );

    for (const curve of bnLoss) assert.ok(curve[curve.length - 1] < 0.2 * curve[0], `BN-statistics loss ${curve[0]} -> ${curve[curve.length - 1]}`);
    assert.notDeepEqual(synthesised[0], synthesised[1], 'the second batch starts from new noise');
    const predicted = tf.tidy(() => Array.from(tf.argMax(teacher.predict(x) as tf.Tensor, 1).dataSync()));
    const hits = predicted.filter((c, i) => c === i % 3).length;
    assert.ok(hits >= 0.9 * batch, `the teacher puts ${hits}/${batch} synthesised inputs in their target class`);
    assert.deepEqual(snapshot(teacher.getWeights()), teacherBefore, 'weights and running statistics unchanged');
    s.dispose();
    teacher.dispose();
    tf.dispose([data.x, data.y, targets]);
  });
});

describe('RL (SAC-style): two Q networks, Polyak-averaged targets, a learned log-temperature', () => {
  it('critic, actor and temperature steps each train only their own variables; targets move by tau; the policy improves', async () => {
    const S = 2;
    const A = 2;
    const mlp = (seed: number, inputs: number, outputs: number) =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [inputs], units: 32, activation: 'relu', kernelInitializer: glorot(seed) }),
          tf.layers.dense({ units: outputs, kernelInitializer: glorot(seed + 1) }),
        ],
      });
    const policy = mlp(10, S, 2 * A);
    const [q1, q2, q1Target, q2Target] = [mlp(20, S + A, 1), mlp(30, S + A, 1), mlp(40, S + A, 1), mlp(50, S + A, 1)];
    const s = new TrainingSession({ seed: 5 });
    s.addNetwork('policy', policy, { optimizer: { type: 'adam', learningRate: 3e-3 } });
    s.addNetwork('q1', q1, { optimizer: { type: 'adam', learningRate: 3e-3 } });
    s.addNetwork('q2', q2, { optimizer: { type: 'adam', learningRate: 3e-3 } });
    s.addCopy('q1Target', 'q1', { model: q1Target });
    s.addCopy('q2Target', 'q2', { model: q2Target });
    const { logAlpha } = s.addVariables('alpha', { logAlpha: tf.scalar(Math.log(0.1)) }, { optimizer: { type: 'adam', learningRate: 3e-3 } });
    const gamma = 0.9;
    const tau = 0.05;
    const targetEntropy = -A;

    /** Reparameterised tanh-Gaussian action and its log-probability. */
    const act = (states: tf.Tensor) => {
      const out = policy.apply(states) as tf.Tensor;
      const [mu, logStd] = tf.split(out, 2, 1);
      const std = tf.exp(tf.clipByValue(logStd, -5, 2));
      const eps = s.randomNormal(mu.shape);
      const u = tf.add(mu, tf.mul(std, eps));
      const a = tf.tanh(u);
      const gaussian = tf.sum(tf.sub(tf.mul(-0.5, tf.square(eps)), tf.add(tf.log(std), 0.5 * Math.log(2 * Math.PI))), 1);
      const logProb = tf.sub(gaussian, tf.sum(tf.log(tf.add(tf.sub(1, tf.square(a)), 1e-6)), 1));
      return { a, logProb, mu };
    };
    const q = (net: tf.LayersModel, st: tf.Tensor, a: tf.Tensor) => tf.squeeze(net.apply(tf.concat([st, a], 1)) as tf.Tensor, [1]);
    /** The environment: one step, reward for acting close to half the state. */
    const reward = (st: tf.Tensor, a: tf.Tensor) => tf.neg(tf.sum(tf.square(tf.sub(a, tf.mul(st, 0.5))), 1));
    const evalStates = tf.randomNormal([256, S], 0, 1, 'float32', 99);
    const greedyReturn = () => tf.tidy(() => tf.mean(reward(evalStates, tf.tanh(tf.split(policy.predict(evalStates) as tf.Tensor, 2, 1)[0]))).dataSync()[0]);

    const initialReturn = greedyReturn();
    const critic: number[] = [];
    const checks = { polyak: false, criticLeavesPolicy: false, actorLeavesCritics: false, alphaDirection: 0 };
    await s.run([
      {
        name: 'sac',
        steps: 150,
        step: (ctx) => {
          const st = s.randomNormal([64, S]);
          const next = s.randomNormal([64, S]);
          const taken = tf.tanh(s.randomNormal([64, A])); // replay actions from a random behaviour policy
          const r = reward(st, taken);
          const alpha = tf.exp(logAlpha);

          const policyBefore = ctx.globalStep === 0 ? snapshot(policy.getWeights()) : [];
          const targetBefore = ctx.globalStep === 0 ? snapshot(q1Target.getWeights()) : [];
          const c = s.step(['q1', 'q2'], () => {
            const na = act(next);
            const minTarget = tf.minimum(q(q1Target, next, na.a), q(q2Target, next, na.a));
            const y = stopGradient(tf.add(r, tf.mul(gamma, tf.sub(minTarget, tf.mul(alpha, na.logProb)))));
            const l1 = mse(q(q1, st, taken), y);
            const l2 = mse(q(q2, st, taken), y);
            return { loss: tf.add(l1, l2), q1: l1, q2: l2 };
          }, { name: 'critic' });
          critic.push(c.critic);
          s.updateCopy('q1Target', tau);
          s.updateCopy('q2Target', tau);
          if (ctx.globalStep === 0) {
            checks.criticLeavesPolicy = JSON.stringify(snapshot(policy.getWeights())) === JSON.stringify(policyBefore);
            const src = snapshot(q1.getWeights());
            checks.polyak = snapshot(q1Target.getWeights()).every((w, i) =>
              w.every((v, j) => Math.abs(v - (tau * src[i][j] + (1 - tau) * targetBefore[i][j])) < 1e-6),
            );
          }

          const qBefore = ctx.globalStep === 0 ? snapshot([...q1.getWeights(), ...q2.getWeights()]) : [];
          s.step('policy', () => {
            const p = act(st);
            const minQ = tf.minimum(q(q1, st, p.a), q(q2, st, p.a));
            return { loss: tf.mean(tf.sub(tf.mul(alpha, p.logProb), minQ)) };
          }, { name: 'actor' });
          if (ctx.globalStep === 0) {
            checks.actorLeavesCritics = JSON.stringify(snapshot([...q1.getWeights(), ...q2.getWeights()])) === JSON.stringify(qBefore);
          }

          const before = logAlpha.dataSync()[0];
          const t = s.step('alpha', () => {
            const p = act(st);
            const gap = stopGradient(tf.add(p.logProb, targetEntropy));
            return { loss: tf.neg(tf.mean(tf.mul(logAlpha, gap))), entropyGap: tf.neg(tf.mean(gap)) };
          }, { name: 'temperature' });
          // Entropy above its target (gap > 0) lowers alpha, below raises it.
          if (Math.sign(logAlpha.dataSync()[0] - before) === -Math.sign(t.entropyGap)) checks.alphaDirection++;
        },
      },
    ]);

    assert.ok(checks.polyak, 'each target moved exactly tau of the way to its Q network');
    assert.ok(checks.criticLeavesPolicy && checks.actorLeavesCritics, 'each step trains only its own network');
    assert.ok(checks.alphaDirection >= 140, `the temperature moved the right way in ${checks.alphaDirection}/150 steps`);
    assert.ok(mean(critic.slice(-20)) < 0.5 * mean(critic.slice(0, 20)), `critic loss ${mean(critic.slice(0, 20))} -> ${mean(critic.slice(-20))}`);
    const finalReturn = greedyReturn();
    assert.ok(finalReturn > initialReturn + 0.2 && finalReturn > -0.15, `greedy return ${initialReturn} -> ${finalReturn}`);
    s.dispose();
    for (const m of [policy, q1, q2, q1Target, q2Target]) m.dispose();
    evalStates.dispose();
  });
});

describe('diffusion: an EMA copy of a tiny denoiser, and a loss through the reverse chain', () => {
  const T = 10;
  const betas = Array.from({ length: T }, (_, i) => 1e-3 + ((0.2 - 1e-3) * i) / (T - 1));
  const alphaBars = betas.reduce<number[]>((acc, b) => [...acc, (acc.length ? acc[acc.length - 1] : 1) * (1 - b)], []);
  const modes = [[0.8, 0.8], [-0.8, 0.8], [0.8, -0.8], [-0.8, -0.8]];
  const denoiser = (seed: number) =>
    tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 64, activation: 'relu', kernelInitializer: glorot(seed) }),
        tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: glorot(seed + 1) }),
        tf.layers.dense({ units: 2, kernelInitializer: glorot(seed + 2) }),
      ],
    });
  const eps = (net: tf.LayersModel, xt: tf.Tensor, t: tf.Tensor) => net.apply(tf.concat([xt, tf.div(tf.reshape(t, [-1, 1]), T)], 1)) as tf.Tensor;

  it('EMA weights follow ema = d * ema + (1 - d) * w, evaluate through withCopy, and the source comes back exactly', async () => {
    const net = denoiser(60);
    const emaNet = denoiser(70);
    const s = new TrainingSession({ seed: 6 });
    s.addNetwork('denoiser', net, { optimizer: { type: 'adam', learningRate: 3e-3 } });
    s.addCopy('ema', 'denoiser', { model: emaNet });
    const decay = 0.9;
    const sampleData = (n: number) => {
      const pts = Array.from({ length: n }, () => modes[s.rng.int(4)]).flat();
      return tf.add(tf.tensor2d(pts, [n, 2]), s.randomNormal([n, 2], 0, 0.05));
    };
    /** The DDPM training loss (epsilon prediction) at the given steps t. */
    const diffusionLoss = (model: tf.LayersModel, x0: tf.Tensor, ts: number[], noise: tf.Tensor) => {
      const ab = tf.tensor1d(ts.map((t) => alphaBars[t])).reshape([-1, 1]);
      const xt = tf.add(tf.mul(tf.sqrt(ab), x0), tf.mul(tf.sqrt(tf.sub(1, ab)), noise));
      return mse(eps(model, xt, tf.tensor1d(ts)), noise);
    };
    const evalRng = createRng(123);
    const evalX = tf.tensor2d(Array.from({ length: 256 }, (_, i) => modes[i % 4]).flat(), [256, 2]);
    const evalT = Array.from({ length: 256 }, () => evalRng.int(T));
    const evalNoise = tf.randomNormal([256, 2], 0, 1, 'float32', 7);
    const evalLoss = (model: tf.LayersModel) => tf.tidy(() => diffusionLoss(model, evalX, evalT, evalNoise).dataSync()[0]);

    const initialEval = evalLoss(net);
    const losses: number[] = [];
    let emaTracked = snapshot(emaNet.getWeights());
    let emaExact = true;
    await s.run([
      {
        name: 'bc',
        steps: 200,
        step: (ctx) => {
          const x0 = sampleData(128);
          const ts = Array.from({ length: 128 }, () => s.rng.int(T));
          const noise = s.randomNormal([128, 2]);
          losses.push(s.step('denoiser', () => diffusionLoss(net, x0, ts, noise)).loss);
          s.updateCopy('ema', 1 - decay);
          if (ctx.globalStep < 5) {
            const w = snapshot(net.getWeights());
            emaTracked = emaTracked.map((e, i) => e.map((v, j) => decay * v + (1 - decay) * w[i][j]));
            const now = snapshot(emaNet.getWeights());
            emaExact &&= now.every((e, i) => e.every((v, j) => Math.abs(v - emaTracked[i][j]) < 1e-5));
          }
        },
      },
    ]);

    assert.ok(emaExact, 'EMA recursion with decay 0.9');
    assert.ok(mean(losses.slice(-30)) < 0.85 * mean(losses.slice(0, 30)), `denoising loss ${mean(losses.slice(0, 30))} -> ${mean(losses.slice(-30))}`);
    const own = snapshot(net.getWeights());
    const viaSwap = await s.withCopy('ema', () => evalLoss(net));
    assert.equal(viaSwap, evalLoss(emaNet), 'with the copy swapped in, the source computes exactly what the EMA model does');
    assert.deepEqual(snapshot(net.getWeights()), own, 'the trained weights are back');
    assert.ok(viaSwap < 0.8 * initialEval, `EMA weights denoise: ${initialEval} -> ${viaSwap}`);
    s.dispose();
    net.dispose();
    emaNet.dispose();
    tf.dispose([evalX, evalNoise]);
  });

  it('a Diffusion-QL-style loss trains the denoiser through every step of the reverse chain towards a higher Q', async () => {
    const net = denoiser(80);
    const s = new TrainingSession({ seed: 7 });
    s.addNetwork('denoiser', net, { optimizer: { type: 'adam', learningRate: 3e-3 } });
    const chain = 3;
    const chainBetas = [0.1, 0.3, 0.6];
    const chainAlphaBars = chainBetas.reduce<number[]>((acc, b) => [...acc, (acc.length ? acc[acc.length - 1] : 1) * (1 - b)], []);
    /** Ancestral sampling with fixed noise, differentiable end to end. */
    const sample = (noises: tf.Tensor[]) => {
      let x = noises[chain];
      for (let t = chain - 1; t >= 0; t--) {
        const e = eps(net, x, tf.fill([x.shape[0]], t));
        const mu = tf.div(tf.sub(x, tf.mul(chainBetas[t] / Math.sqrt(1 - chainAlphaBars[t]), e)), Math.sqrt(1 - chainBetas[t]));
        x = t > 0 ? tf.add(mu, tf.mul(Math.sqrt(chainBetas[t]), noises[t])) : mu;
      }
      return tf.clipByValue(x, -1, 1);
    };
    /** A fixed critic: the best action is the bottom-right mode. */
    const qValue = (a: tf.Tensor) => tf.neg(tf.sum(tf.square(tf.sub(a, tf.tensor1d([0.8, -0.8]))), 1));
    const fixedNoise = Array.from({ length: chain + 1 }, (_, i) => tf.randomNormal([256, 2], 0, 1, 'float32', 500 + i));
    const meanQ = () => tf.tidy(() => tf.mean(qValue(sample(fixedNoise))).dataSync()[0]);
    const before = meanQ();
    await s.run([
      {
        name: 'ql',
        steps: 40,
        trainable: 'denoiser',
        loss: () => {
          const noises = Array.from({ length: chain + 1 }, () => s.randomNormal([64, 2]));
          return tf.neg(tf.mean(qValue(sample(noises))));
        },
      },
    ]);
    const after = meanQ();
    assert.ok(after > before + 0.3, `mean Q of sampled actions ${before} -> ${after}`);
    s.dispose();
    net.dispose();
    tf.dispose(fixedNoise);
  });
});
