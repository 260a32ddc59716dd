import * as tf from '@tensorflow/tfjs';
import type { ProbeOutputs } from '../policy';
import { centeredGram, gramSimilarity } from './cka';

/**
 * The per-layer convergence signal that replaces a model-level accuracy curve: how much each
 * unit's output on the run's fixed probe batch changed since the previous reading (every
 * `probeEvery` steps, and once before training), as linear CKA between the two readings (the measure the
 * SmartFRZ pipeline's labels are made of, AutoFreeze/Egeria-style). A unit whose representation
 * no longer changes can leave training although the model as a whole still gains accuracy
 * (its later layers keep learning on top of it); one that still changes cannot, however flat
 * the accuracy looks. Keeps one n x n Gram per watched unit (n = the probe's 128 examples).
 */
export class RepresentationConvergence {
  private grams = new Map<number, Float32Array>();
  private similarities = new Map<number, number>();
  private cost = { readings: 0, milliseconds: 0 };

  /**
   * Reads the listed units' probe outputs now and returns, per unit, the CKA with its previous
   * reading (NaN: no previous reading). Units not listed are forgotten (frozen ones never change).
   */
  read(probe: ProbeOutputs, units: number[]): number[] {
    const t0 = performance.now();
    const outputs = probe(units);
    const grams = tf.tidy(() => outputs.map((o) => centeredGram(o)));
    const values = grams.map((g) => g.dataSync() as Float32Array);
    tf.dispose([...outputs, ...grams]);
    const next = new Map<number, Float32Array>();
    const sims = new Map<number, number>();
    units.forEach((u, i) => {
      const previous = this.grams.get(u);
      sims.set(u, previous ? gramSimilarity(previous, values[i]) : NaN);
      next.set(u, values[i]);
    });
    this.grams = next;
    this.similarities = sims;
    this.cost.readings++;
    this.cost.milliseconds += performance.now() - t0;
    return units.map((u) => sims.get(u)!);
  }

  /** The unit's CKA at the last reading (NaN: not read, or read for the first time). */
  similarity(unit: number): number {
    return this.similarities.get(unit) ?? NaN;
  }

  /** Readings taken and their wall time (probe forward pass, Grams and CKA) in this process. */
  costSoFar(): { readings: number; milliseconds: number } {
    return { ...this.cost };
  }

  /** The Grams and last similarities, for a checkpoint (Grams as base64 float32). */
  save(): { grams: Record<string, string>; similarities: Record<string, number> } {
    const grams: Record<string, string> = {};
    for (const [u, g] of this.grams) grams[u] = Buffer.from(g.buffer, g.byteOffset, g.byteLength).toString('base64');
    const similarities: Record<string, number> = {};
    for (const [u, s] of this.similarities) similarities[u] = s;
    return { grams, similarities };
  }

  load(state: { grams?: Record<string, string>; similarities?: Record<string, number | null> } | undefined): void {
    this.grams = new Map();
    this.similarities = new Map();
    for (const [u, b64] of Object.entries(state?.grams ?? {})) {
      const bytes = Buffer.from(b64, 'base64');
      this.grams.set(Number(u), new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    }
    // JSON turns NaN into null.
    for (const [u, s] of Object.entries(state?.similarities ?? {})) this.similarities.set(Number(u), typeof s === 'number' ? s : NaN);
  }
}
