import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { threadsPerPoint } from '../../src/runner/sweepLocal';

test('a local sweep shares the cores out among the points running at once (at least one thread each)', () => {
  const cores = availableParallelism();
  assert.equal(threadsPerPoint(1), cores);
  assert.equal(threadsPerPoint(cores), 1);
  assert.equal(threadsPerPoint(cores * 3), 1);
  assert.equal(threadsPerPoint(Math.max(1, Math.floor(cores / 2))), Math.floor(cores / Math.max(1, Math.floor(cores / 2))));
});
