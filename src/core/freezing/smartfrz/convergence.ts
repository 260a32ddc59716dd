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
 * the accuracy looks. Keeps one n x n Gram per watched unit (n = the probe's 128 examples), or
 * its span's worth with the drift signal (`driftRatio`).
 */
export class RepresentationConvergence {
  /** Per unit, its last `span` readings' Grams, oldest first. */
  private grams = new Map<number, Float32Array[]>();
  private similarities = new Map<number, number>();
  /** Per unit, CKA with the reading `span` readings back (NaN: fewer readings so far). */
  private spanSimilarities = new Map<number, number>();
  /** Per unit, its CKAs between consecutive readings over the last `span` readings, oldest first. */
  private recent = new Map<number, number[]>();

  private readonly spanOf: (unit: number) => number;

  /**
   * @param span readings back the drift signal compares with (1: only the previous reading is
   * kept, the absolute signal alone), or a function giving it per unit (conv layers drift too
   * slowly to show over a dense layer's span; see `SmartFrzOptions.convDriftSteps`).
   */
  constructor(span: number | ((unit: number) => number) = 1) {
    const check = (n: number) => {
      if (!Number.isInteger(n) || n < 1) throw new Error(`span must be an integer >= 1, got ${n}`);
      return n;
    };
    this.spanOf = typeof span === 'number' ? ((n) => () => n)(check(span)) : (u) => check(span(u));
  }

  /**
   * Reads the listed units' probe outputs now and returns, per unit, the CKA with its previous
   * reading (NaN: no previous reading). Units not listed are forgotten (frozen ones never change).
   */
  read(probe: ProbeOutputs, units: number[]): number[] {
    const outputs = probe(units);
    const grams = tf.tidy(() => outputs.map((o) => centeredGram(o)));
    const values = grams.map((g) => g.dataSync() as Float32Array);
    tf.dispose([...outputs, ...grams]);
    const next = new Map<number, Float32Array[]>();
    const sims = new Map<number, number>();
    const spanSims = new Map<number, number>();
    const recent = new Map<number, number[]>();
    units.forEach((u, i) => {
      const span = this.spanOf(u);
      const kept = this.grams.get(u) ?? [];
      const sim = kept.length > 0 ? gramSimilarity(kept[kept.length - 1], values[i]) : NaN;
      sims.set(u, sim);
      recent.set(u, Number.isNaN(sim) ? [] : [...(this.recent.get(u) ?? []), sim].slice(-span));
      spanSims.set(u, kept.length >= span ? gramSimilarity(kept[kept.length - span], values[i]) : NaN);
      next.set(u, [...kept, values[i]].slice(-span));
    });
    this.grams = next;
    this.similarities = sims;
    this.spanSimilarities = spanSims;
    this.recent = recent;
    return units.map((u) => sims.get(u)!);
  }

  /** The unit's CKA at the last reading (NaN: not read, or read for the first time). */
  similarity(unit: number): number {
    return this.similarities.get(unit) ?? NaN;
  }

  /**
   * Drift or jitter: the unit's change (1 - CKA) since the reading `span` readings back over its
   * mean change between consecutive readings over the same span (the mean, not the last one
   * alone: one reading's change of a jittering layer varies by a factor of a few). A layer that only jitters around a point under the
   * optimizer's noise changes about as much over many readings as over one (ratio ~1; the
   * Fashion MLPs' fc1 measured 0.6-2 for 20 epochs at CKA 0.97-0.99); one that still drifts
   * keeps accumulating change (a steady drift: ~span^2, since 1 - CKA grows with the square of
   * a small change; the Fashion CNN's conv1 measured 7-62 at CKA above 0.9999). NaN until the
   * unit has been read its span + 1 times; 0 when it did not change at all over the span.
   */
  driftRatio(unit: number): number {
    const long = this.spanSimilarities.get(unit) ?? NaN;
    const steps = this.recent.get(unit) ?? [];
    if (Number.isNaN(long) || steps.length < this.spanOf(unit)) return NaN;
    const longChange = Math.max(0, 1 - long);
    const shortChange = steps.reduce((sum, s) => sum + Math.max(0, 1 - s), 0) / steps.length;
    if (longChange === 0) return 0;
    return shortChange === 0 ? Infinity : longChange / shortChange;
  }

  /** The Grams and last similarities, for a checkpoint (Grams as base64 float32; `earlier`: the older kept Grams with the drift signal). */
  save(): { grams: Record<string, string>; similarities: Record<string, number>; earlier?: Record<string, string[]>; spanSimilarities?: Record<string, number>; recent?: Record<string, number[]> } {
    const b64 = (g: Float32Array) => Buffer.from(g.buffer, g.byteOffset, g.byteLength).toString('base64');
    const grams: Record<string, string> = {};
    const earlier: Record<string, string[]> = {};
    for (const [u, kept] of this.grams) {
      grams[u] = b64(kept[kept.length - 1]);
      earlier[u] = kept.slice(0, -1).map(b64);
    }
    const similarities: Record<string, number> = {};
    for (const [u, s] of this.similarities) similarities[u] = s;
    const spanSimilarities: Record<string, number> = {};
    for (const [u, s] of this.spanSimilarities) spanSimilarities[u] = s;
    const recent: Record<string, number[]> = {};
    for (const [u, r] of this.recent) recent[u] = [...r];
    const drift = [...this.grams.keys()].some((u) => this.spanOf(u) > 1);
    return { grams, similarities, ...(drift ? { earlier, spanSimilarities, recent } : {}) };
  }

  load(state: { grams?: Record<string, string>; similarities?: Record<string, number | null>; earlier?: Record<string, string[]>; spanSimilarities?: Record<string, number | null>; recent?: Record<string, number[]> } | undefined): void {
    const gram = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    };
    this.grams = new Map();
    this.similarities = new Map();
    this.spanSimilarities = new Map();
    this.recent = new Map();
    for (const [u, b64] of Object.entries(state?.grams ?? {})) {
      this.grams.set(Number(u), [...(state?.earlier?.[u] ?? []).map(gram), gram(b64)].slice(-this.spanOf(Number(u))));
    }
    // JSON turns NaN into null.
    for (const [u, s] of Object.entries(state?.similarities ?? {})) this.similarities.set(Number(u), typeof s === 'number' ? s : NaN);
    for (const [u, s] of Object.entries(state?.spanSimilarities ?? {})) this.spanSimilarities.set(Number(u), typeof s === 'number' ? s : NaN);
    for (const [u, r] of Object.entries(state?.recent ?? {})) this.recent.set(Number(u), Array.isArray(r) ? r.filter((v) => typeof v === 'number') : []);
  }
}
