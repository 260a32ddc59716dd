import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { distillView } from '../../../src/panels/distill/viewModel';
import { parseEventLines } from '../../../src/runner/runStore';
import { distillFileAnnotations, formatGap, formatLoss, teacherBatchNormAnnotations } from '../../../src/vscode/experimentFile/distillAnnotations';

/**
 * The inline hints of a distill run (issue 14) on the events of a real run (the panel's fixture:
 * digits, teacher fc1-bn1-fc2-bn2-out, student s1-sout, arms kd, tinybert, deepinversion).
 */
const EVENTS = parseEventLines(readFileSync(path.join(__dirname, '../../panels/distill/fixtures/digits-distill.events.jsonl'), 'utf8'));
const view = distillView({ runId: 'r1', runDir: '/runs/r1', experiment: 'digits-distill', status: 'completed' }, EVENTS);

const DISTILL_FILE = `// the run's file
{
  "kind": "distill", "name": "digits-distill",
  "teacher": "teacher.experiment.json",
  "student": { "layers": [
    { "name": "s1", "type": "dense", "units": 12, "activation": "relu" },
    { "name": "sout", "type": "dense", "units": 10, "activation": "softmax" } ] },
  "arms": ["kd", "tinybert", { "method": "deepinversion" }],
  "training": { "epochs": 3, "batchSize": 32, "seed": 3, "temperature": 4 }
}
`;

const TEACHER_FILE = `{
  "kind": "train", "name": "digits-bn-teacher",
  "model": { "inputShape": [64], "layers": [
    { "name": "fc1", "type": "dense", "units": 64, "activation": "relu" },
    { "name": "bn1", "type": "batchNormalization" },
    { "name": "fc2", "type": "dense", "units": 64, "activation": "relu" },
    { "name": "bn2", "type": "batchNormalization" },
    { "name": "out", "type": "dense", "units": 10, "activation": "softmax" } ] }
}
`;

describe('distill inline hints', () => {
  const hints = distillFileAnnotations(DISTILL_FILE, view);
  const byName = new Map(hints.map((h) => [h.name, h]));

  it('a student layer says which teacher layer it learns from and the final loss of the arm that matched it', () => {
    const s1 = byName.get('s1')!;
    assert.equal(s1.parts[0], '⇐ teacher layer 3 (fc2)');
    const mse = view.arms.find((a) => a.name === 'tinybert')!.finalLosses.intermediate['hidden:s1'];
    assert.equal(s1.parts[1], `MSE ${formatLoss(mse)}`);
    assert.match(s1.details, /tinybert: hidden-state MSE/);
    // The hint sits after the layer's object in the file.
    assert.ok(DISTILL_FILE.slice(s1.start, s1.end).startsWith('{ "name": "s1"'));
    assert.match(s1.details, /hidden-state MSE/);
  });

  it('the output layer learns from the teacher\'s predictions: each arm\'s final KD loss', () => {
    const out = byName.get('sout')!;
    assert.equal(out.parts[0], '⇐ teacher layer 5 (out)');
    // In the arms' order (kd, tinybert, deepinversion); the hover names them.
    const kd = view.arms.map((a) => formatLoss((a.finalLosses.prediction ?? a.finalLosses.distillation).loss));
    assert.equal(out.parts[1], `KD ${kd.join('/')}`);
    for (const a of ['kd', 'tinybert', 'deepinversion']) assert.match(out.details, new RegExp(`- ${a}: KD soft cross\\\\-entropy`));
    // VS Code cuts a line's inlay hints after ~43 characters.
    assert.ok(out.label.length <= 43, out.label);
  });

  it('each arm shows its accuracy; the data-free arm its batch-norm gap; the teacher field its accuracy', () => {
    const kd = byName.get('kd')!;
    assert.match(kd.parts[0], /^\d+\.\d%$/);
    assert.ok(DISTILL_FILE.slice(kd.start, kd.end) === '"kd"');
    const di = byName.get('deepinversion')!;
    assert.match(di.parts[1], /^BN μ \S+ σ² \S+$/);
    assert.match(di.details, /- bn1: mean \S+ \\\(\S+\\\), variance/);
    assert.ok(DISTILL_FILE.slice(di.start, di.end).includes('"method": "deepinversion"'));
    assert.match(byName.get('teacher')!.parts[0], /^teacher \d+\.\d%$/);
  });

  it('the teacher\'s own file: a hint on each batch-norm layer with the gaps after synthesis', () => {
    const t = teacherBatchNormAnnotations(TEACHER_FILE, view);
    assert.deepEqual(t.map((h) => h.name), ['bn1', 'bn2']);
    const g = view.arms[2].batchNorm![0];
    assert.equal(t[0].parts[0], `BN μ ${formatGap(g.mean)} σ² ${formatGap(g.variance)}`);
    assert.match(t[0].details, /for deepinversion/);
    assert.match(t[0].details, /Gaussian noise in brackets/);
  });

  it('says nothing about layers the run does not know, or before a run', () => {
    const renamed = DISTILL_FILE.replace('"s1"', '"hidden"');
    assert.equal(distillFileAnnotations(renamed, view).find((h) => h.name === 'hidden'), undefined);
    const empty = distillView({ runId: 'r', runDir: '/r', experiment: 'x', status: 'running' }, []);
    assert.deepEqual(distillFileAnnotations(DISTILL_FILE, empty), []);
    assert.deepEqual(teacherBatchNormAnnotations(TEACHER_FILE, empty), []);
    assert.equal(formatLoss(0.000123), '1.23e-4');
    assert.equal(formatLoss(1.23456), '1.23');
    assert.deepEqual([0.306, 0.0573, 2.27, 0.004].map(formatGap), ['0.31', '0.057', '2.3', '4e-3']);
  });
});
