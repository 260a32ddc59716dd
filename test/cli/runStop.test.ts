import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as store from '../../src/runner/runStore';
import { cli, root } from './cliProcess';

// Epochs of 900 one-example steps: a stop requested early in the first epoch lands far from its end.
const experiment = path.join(root, 'test', 'fixtures', 'runner', 'long-epoch.experiment.json');
const STEPS_PER_EPOCH = 900;
const out = () => mkdtempSync(path.join(tmpdir(), 'ml-cli-stop-'));

test('Ctrl-C (twice) stops at the current step: checkpoint there, exit 130, one JSON document; the resume reproduces the uninterrupted run', async () => {
  const full = await cli(['run', experiment, '--json', '--out', out()]);
  assert.equal(full.code, 0, full.stderr);
  const uninterrupted = JSON.parse(full.stdout);

  // Ctrl-C as soon as the run reports progress in its first epoch, and again once it says it
  // is stopping: the second one must not cut the checkpoint, the run record or the JSON short.
  let signals = 0;
  const stopped = await cli(['run', experiment, '--json', '--out', out()], (chunk, child) => {
    if (signals === 0 && /epoch 1\/2 loss/.test(chunk)) {
      signals++;
      child.kill('SIGINT');
    } else if (signals === 1 && /stopping/.test(chunk)) {
      signals++;
      child.kill('SIGINT');
    }
  });
  assert.equal(signals, 2, stopped.stderr);
  assert.equal(stopped.code, 130, stopped.stderr);
  const doc = JSON.parse(stopped.stdout);
  assert.equal(doc.status, 'cancelled');
  assert.match(stopped.stderr, /resume with: model-lab run --resume /);
  assert.equal((await store.readRunRecord(doc.runDir))?.status, 'cancelled');

  // The checkpoint is of the step the run stopped at, inside the first epoch.
  const manifest = JSON.parse(readFileSync(path.join(doc.runDir, 'checkpoint', 'checkpoint.json'), 'utf8'));
  assert.equal(manifest.epoch, 0);
  assert.ok(manifest.partialEpoch.step > 0 && manifest.partialEpoch.step < STEPS_PER_EPOCH, `stopped at step ${manifest.partialEpoch.step}`);
  assert.equal(manifest.globalStep, manifest.partialEpoch.step);
  const events = await store.readEvents(doc.runDir);
  const end = events[events.length - 1];
  assert.ok(end.type === 'end' && end.status === 'cancelled' && end.step === manifest.globalStep);
  assert.ok(events.some((e) => e.type === 'checkpoint' && e.step === manifest.globalStep));

  const resumed = await cli(['run', '--resume', doc.runDir, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const final = JSON.parse(resumed.stdout);
  assert.equal(final.status, 'completed');
  assert.equal(final.epochsDone, 2);
  assert.deepEqual(final.metrics, uninterrupted.metrics);
  assert.deepEqual(final.freezeEvents, uninterrupted.freezeEvents);
  const start = (await store.readEvents(doc.runDir)).filter((e) => e.type === 'start').pop();
  assert.ok(start?.type === 'start' && start.resumedFrom?.step === manifest.globalStep);
});
