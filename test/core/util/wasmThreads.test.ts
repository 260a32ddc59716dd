import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { SPIN_ENV_VAR, WasmThreads } from '../../../src/core/util/wasmThreads';

/** The smallest module (no imports, no exports): these tests are about the threads, not a kernel. */
const EMPTY_MODULE = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

function pool(itemSource: string, threads = 2): WasmThreads {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  return new WasmThreads({ name: 'test kernel', module: EMPTY_MODULE, memory, itemSource, threads });
}

/**
 * Runs calls until `done` says so; between calls, yields to the event loop (the helpers start in
 * the background). Bounded by a count of calls, not by time.
 */
async function callUntil(threads: WasmThreads, args: number[], count: number, done: () => boolean): Promise<void> {
  for (let call = 0; call < 20000 && !done(); call++) {
    threads.run(args, count);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A module on a shared one-page memory exporting mark(i): memory[i] += 1 (int32 slots), so items
 * can show which slots they touched, from any thread.
 */
function markModule(): WebAssembly.Module {
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const name = (s: string) => [s.length, ...Buffer.from(s)];
  const code = [0, 0x20, 0, 0x41, 2, 0x74, 0x20, 0, 0x41, 2, 0x74, 0x28, 2, 0, 0x41, 1, 0x6a, 0x36, 2, 0, 0x0b];
  return new WebAssembly.Module(new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 1, 0x7f, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 2, 3, 1, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('mark'), 0, 0]),
    ...section(10, [1, code.length, ...code]),
  ]));
}

// Spinning before sleeping (SPIN_ENV_VAR): the default, none, and long enough that helpers are
// still spinning when the next call comes.
for (const spin of [undefined, '0', '20000']) {
  test(`every item of a call is done exactly once, by the caller and the helpers together (${SPIN_ENV_VAR}=${spin ?? 'default'})`, async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const slots = new Int32Array(memory.buffer, 0, 64);
    const saved = process.env[SPIN_ENV_VAR];
    if (spin === undefined) delete process.env[SPIN_ENV_VAR];
    else process.env[SPIN_ENV_VAR] = spin;
    const threads = new WasmThreads({
      name: 'test kernel', module: markModule(), memory, threads: 3,
      // The caller's items take a millisecond, so that helpers woken late (a loaded machine, or
      // no spin) still find items left: otherwise 20,000 calls can pass before one takes any
      // (a CI run at load 13: helpers not even started).
      itemSource: 'function (x, g, index, thread) { x.mark(g[0] + index); if (thread === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); }',
    });
    if (saved === undefined) delete process.env[SPIN_ENV_VAR];
    else process.env[SPIN_ENV_VAR] = saved;
    const count = 40;
    for (let call = 0; call < 20000 && threads.helperItems === 0; call++) {
      threads.run([3], count);
      for (let i = 0; i < 64; i++) assert.equal(slots[i], i >= 3 && i < 3 + count ? 1 : 0, `call ${call} slot ${i}`);
      slots.fill(0);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(threads.helpersReady > 0, 'helpers started');
    assert.ok(threads.helperItems > 0, 'helpers took items');
    await threads.close();
    // After close, calls still run, on the calling thread.
    const before = threads.helperItems;
    threads.run([0], 8);
    assert.deepEqual([...slots.subarray(0, 9)], [1, 1, 1, 1, 1, 1, 1, 1, 0]);
    assert.equal(threads.helperItems, before);
  });
}

test('a helper that stops in the middle of a call fails the call with a clear error instead of hanging', async () => {
  // Helper items end their thread (process.exit in a worker ends the worker only); the caller's
  // items wait a little so that a helper gets to claim one.
  const threads = pool(`function (x, g, index, thread) {
    if (thread > 0) process.exit(7);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }`);
  await assert.rejects(callUntil(threads, [], 4, () => false), (e) => e instanceof Error && /test kernel: a helper thread stopped .*exit code 7.*--threads 1/.test(e.message));
  // And so does every later call: the stopped helper's share would never be done.
  assert.throws(() => threads.run([], 4), /a helper thread stopped/);
  await threads.close();
});

test('an item that throws on a helper fails the call with a clear error', async () => {
  const threads = pool(`function (x, g, index, thread) {
    if (thread > 0) throw new Error('boom');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }`);
  await assert.rejects(callUntil(threads, [], 4, () => false), (e) => e instanceof Error && /test kernel: a work item failed on a helper thread/.test(e.message));
  await threads.close();
});

test('arguments reach every thread unchanged (unsigned 32-bit, beyond 2^31)', async () => {
  // Each item checks the arguments and fails (throws) on a mismatch, on whichever thread.
  const threads = pool(`function (x, g, index, thread) {
    if (g[0] !== 4000000000 || g[1] !== 7 || g.length < 2) throw new Error('bad arguments ' + g[0] + ' ' + g[1]);
    if (thread === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  }`);
  await callUntil(threads, [4000000000, 7], 6, () => threads.helperItems > 0);
  assert.ok(threads.helperItems > 0, 'helpers took items');
  await threads.close();
});
