import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeEnv } from '../../../../src/core/rl/env/envs';
import { cellCentre } from '../../../../src/core/rl/env/maze';
import { positionEncoder } from '../../../../src/core/rl/gcrl/encoding';

const layout = ['#####', '#...#', '#.#.#', '#####'];
const env = makeEnv({ type: 'pointmaze', layout, maxStep: 0.5 });
// Free cells in row-major order: [1,1] [1,2] [1,3] [2,1] [2,3] -> columns 2..6.

/** The dense features of a position (x, y), written at column offset `base`. */
function dense(x: number, y: number, kind: 'xy' | 'cells', base = 0): number[] {
  const e = positionEncoder(env, kind);
  const indices = new Int32Array(e.nonzeros).fill(-1);
  const values = new Float32Array(e.nonzeros).fill(Number.NaN);
  e.encode(...env.normalize(x, y), indices, values, 0, base);
  const out = new Array<number>(base + e.width).fill(0);
  indices.forEach((c, j) => (out[c] += values[j]));
  return out.map((v) => Math.round(v * 1e6) / 1e6);
}

describe('position encodings of the offline networks', () => {
  it('xy: the normalised position', () => {
    assert.deepEqual(dense(2.5, 1.5, 'xy'), [0, -0.25]);
  });

  it('cells: (u, v) then a one-hot of the cell at a cell centre', () => {
    assert.equal(positionEncoder(env, 'cells').width, 2 + 5);
    assert.deepEqual(dense(...cellCentre([1, 2]), 'cells'), [0, -0.25, 0, 1, 0, 0, 0]);
    assert.deepEqual(dense(...cellCentre([2, 3]), 'cells'), [0.4, 0.25, 0, 0, 0, 0, 1]);
  });

  it('cells: bilinear weights between centres, walls left out and the rest rescaled to sum to 1', () => {
    // Halfway between [1,1] and [1,2]: half each.
    assert.deepEqual(dense(2, 1.5, 'cells').slice(2), [0.5, 0.5, 0, 0, 0]);
    // A quarter of the way from [1,1] toward [2,2] (a wall): corners [1,1] 9/16, [1,2] 3/16, [2,1] 3/16, [2,2] 1/16 (wall) -> / (15/16).
    const w = dense(1.75, 1.75, 'cells').slice(2);
    assert.deepEqual(w, [0.6, 0.2, 0, 0.2, 0]);
  });

  it('cells: a position with no free corner gets its (u, v) only; the column offset applies to every entry', () => {
    const out = dense(0.2, 0.2, 'cells');
    assert.deepEqual(out.slice(2), [0, 0, 0, 0, 0]);
    assert.deepEqual(dense(...cellCentre([1, 1]), 'cells', 7).slice(7), dense(...cellCentre([1, 1]), 'cells'));
  });

  it('needs a maze for cells', () => {
    assert.throws(() => positionEncoder(makeEnv({ type: 'point2d' }), 'cells'), /needs a maze/);
  });
});
