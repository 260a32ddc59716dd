import * as tf from '@tensorflow/tfjs';
import { logitsOf } from './forward';

/**
 * CPU milliseconds per example of each model's inference on the same batch, measured in
 * interleaved rounds (teacher, student A, student B, teacher, ...) and reported as the median
 * round, so that the load of a shared machine affects every model alike. Process CPU time, not
 * wall time: on an idle machine they agree (the backend computes on one thread); on a loaded one
 * CPU time still measures the models, not the neighbours.
 */
export function msPerExample(models: tf.LayersModel[], x: tf.Tensor, opts: { rounds?: number; minMsPerRound?: number } = {}): number[] {
  const rounds = opts.rounds ?? 5;
  const minMs = opts.minMsPerRound ?? 50;
  const n = x.shape[0];
  const run = (m: tf.LayersModel) => tf.tidy(() => logitsOf(m, x).dataSync());
  for (const m of models) run(m); // warm-up: kernels, weights uploaded
  const samples: number[][] = models.map(() => []);
  for (let r = 0; r < rounds; r++) {
    models.forEach((m, i) => {
      let examples = 0;
      const start = cpuMs();
      do {
        run(m);
        examples += n;
      } while (cpuMs() - start < minMs);
      samples[i].push((cpuMs() - start) / examples);
    });
  }
  return samples.map(median);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
