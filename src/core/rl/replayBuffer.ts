import type { Rng } from '../util/random';

/** Field widths of one transition, in floats. */
export interface TransitionLayout {
  obs: number;
  action: number;
  skill: number;
}

/** A batch of transitions, one row per transition (row-major Float32Arrays). */
export interface TransitionBatch {
  size: number;
  obs: Float32Array;
  nextObs: Float32Array;
  actions: Float32Array;
  skills: Float32Array;
  /** 1 where the transition ended its trajectory (the SAC target does not bootstrap there). */
  dones: Float32Array;
}

/**
 * A ring buffer of transitions (s, a, s', z, done) in one Float32Array: the oldest are
 * overwritten once it is full. Sampling draws from the caller's seeded RNG, and the whole
 * state round-trips through `state()` / `restore()`, so a resumed run samples the same batches.
 */
export class ReplayBuffer {
  private readonly width: number;
  private data: Float32Array;
  private count = 0;
  private next = 0;

  constructor(
    readonly layout: TransitionLayout,
    readonly capacity: number,
  ) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    this.width = 2 * layout.obs + layout.action + layout.skill + 1;
    this.data = new Float32Array(capacity * this.width);
  }

  get size(): number {
    return this.count;
  }

  /** Adds one transition. */
  add(obs: ArrayLike<number>, action: ArrayLike<number>, nextObs: ArrayLike<number>, skill: ArrayLike<number>, done: boolean): void {
    const { obs: o, action: a, skill: z } = this.layout;
    let p = this.next * this.width;
    for (let i = 0; i < o; i++) this.data[p++] = obs[i];
    for (let i = 0; i < o; i++) this.data[p++] = nextObs[i];
    for (let i = 0; i < a; i++) this.data[p++] = action[i];
    for (let i = 0; i < z; i++) this.data[p++] = skill[i];
    this.data[p] = done ? 1 : 0;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** `n` transitions drawn uniformly with replacement. */
  sample(n: number, rng: Rng): TransitionBatch {
    if (this.count === 0) throw new Error('cannot sample from an empty replay buffer');
    const { obs: o, action: a, skill: z } = this.layout;
    const batch: TransitionBatch = {
      size: n,
      obs: new Float32Array(n * o),
      nextObs: new Float32Array(n * o),
      actions: new Float32Array(n * a),
      skills: new Float32Array(n * z),
      dones: new Float32Array(n),
    };
    for (let k = 0; k < n; k++) {
      let p = rng.int(this.count) * this.width;
      for (let i = 0; i < o; i++) batch.obs[k * o + i] = this.data[p++];
      for (let i = 0; i < o; i++) batch.nextObs[k * o + i] = this.data[p++];
      for (let i = 0; i < a; i++) batch.actions[k * a + i] = this.data[p++];
      for (let i = 0; i < z; i++) batch.skills[k * z + i] = this.data[p++];
      batch.dones[k] = this.data[p];
    }
    return batch;
  }

  /** Everything needed to continue exactly: the stored rows and the write position. */
  state(): { rows: Float32Array; json: { count: number; next: number; capacity: number; width: number } } {
    return {
      rows: this.data.slice(0, this.count * this.width),
      json: { count: this.count, next: this.next, capacity: this.capacity, width: this.width },
    };
  }

  restore(rows: Float32Array, json: { count: number; next: number; capacity: number; width: number }): void {
    if (json.capacity !== this.capacity || json.width !== this.width || rows.length !== json.count * this.width) {
      throw new Error(`replay buffer in the checkpoint (${json.count} of ${json.capacity} x ${json.width}) does not fit this one (${this.capacity} x ${this.width})`);
    }
    this.data = new Float32Array(this.capacity * this.width);
    this.data.set(rows);
    this.count = json.count;
    this.next = json.next;
  }
}
