import type { DifferenceResult, MatrixResult, RewardsJobRequest } from '../../../src/runner/jobProtocol';
import { RewardsJobs } from '../../../src/runner/rewardsJob';

/** The reward panel's jobs run in this process (as the runner process runs them), for view-model tests. */
export function computation(): {
  matrix(req: RewardsJobRequest): Promise<MatrixResult>;
  difference(req: RewardsJobRequest & { row: number; col: number }): Promise<DifferenceResult>;
} {
  const jobs = new RewardsJobs();
  const ctx = { signal: new AbortController().signal, progress: () => undefined };
  return {
    matrix: async (req) => {
      const r = await jobs.matrix(req, ctx);
      if ('confirm' in r) throw new Error('a test comparison needs no confirmation');
      return r;
    },
    difference: (req) => jobs.difference(req, ctx),
  };
}
