import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar } from '../../src/cli/progressBar';

test('in a log (not a terminal) the bar prints every few percent and one final line with the last label', () => {
  const lines: string[] = [];
  const bar = new ProgressBar((s) => lines.push(s), false);
  bar.update(0.5, 'epoch 10/20 loss 0.5');
  bar.update(0.51, 'epoch 10/20 loss 0.49');
  bar.update(1, 'epoch 20/20 loss 0.2012');
  bar.update(1, 'epoch 20/20 loss 0.1987 | test acc 96.50%');
  bar.message('done training');
  bar.done();
  assert.deepEqual(lines, [' 50% epoch 10/20 loss 0.5\n', 'done training\n', '100% epoch 20/20 loss 0.1987 | test acc 96.50%\n']);
});

test('on a terminal the bar redraws one line in place and ends it', () => {
  let out = '';
  const bar = new ProgressBar((s) => (out += s), true, 4);
  bar.update(1, 'a');
  bar.update(1, 'b');
  bar.done();
  assert.equal(out, '\r[####] 100% a\x1b[K\r[####] 100% b\x1b[K\n');
});
