import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { blasEnvironment, mappedBlas, openmpBlasDir } from '../../../scripts/bench/blasLibrary';

const MAPS = `7f1c2a000000-7f1c2a200000 r-xp 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0
7f1c2a200000-7f1c2a400000 r--p 00200000 08:01 1234 /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0
7f1c2b000000-7f1c2b100000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0
7f1c2c000000-7f1c2c001000 rw-p 00000000 00:00 0
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]`;

test('mappedBlas names each BLAS library once, and nothing else', () => {
  assert.deepEqual(mappedBlas(MAPS), ['/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0']);
  assert.deepEqual(mappedBlas('7f-8f r-xp 0 0:0 1 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3'), ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3']);
  assert.deepEqual(mappedBlas('7f-8f r-xp 0 0:0 1 /usr/lib/x86_64-linux-gnu/libgomp.so.1'), []);
});

test('openmp: both engines on the OpenMP build, a user\'s own choice of library kept', () => {
  const dir = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
  const { ours, reference } = blasEnvironment('openmp', { LD_LIBRARY_PATH: '/opt/lib' }, dir);
  assert.equal(ours.MODEL_LAB_OPENBLAS, `${dir}/libopenblas.so.0`);
  assert.equal(reference.LD_LIBRARY_PATH, `${dir}:/opt/lib`);
  assert.equal(blasEnvironment('openmp', { MODEL_LAB_OPENBLAS: '/my/libopenblas.so' }, dir).ours.MODEL_LAB_OPENBLAS, '/my/libopenblas.so');
  assert.equal(blasEnvironment('openmp', {}, dir).reference.LD_LIBRARY_PATH, dir);
});

test('system, or no OpenMP build installed: the environment is left as it is, and the note says which', () => {
  const env = { PATH: '/usr/bin' };
  for (const r of [blasEnvironment('system', env, '/x'), blasEnvironment('openmp', env, undefined)]) {
    assert.equal(r.ours, env);
    assert.equal(r.reference, env);
  }
  assert.match(blasEnvironment('openmp', env, undefined).note, /no OpenMP OpenBLAS/);
});

test('openmpBlasDir finds the OpenMP build where Debian installs it', () => {
  assert.equal(openmpBlasDir((p) => p === '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0'), '/usr/lib/x86_64-linux-gnu/openblas-openmp');
  assert.equal(openmpBlasDir(() => false), undefined);
});
