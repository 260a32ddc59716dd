/** Where a run comes from beyond its experiment: the sweep it is a point of, the Slurm job that runs it (`RunRecord`). */

/** A run's place in a sweep: which sweep, which point, and the point's values (JSON pointer -> value). */
export interface SweepRef {
  id: string;
  index: number;
  count: number;
  params: Record<string, unknown>;
}

export interface SlurmRef {
  /** The array job's id (`SLURM_ARRAY_JOB_ID`), or the job's for a plain job. */
  jobId: string;
  /** `SLURM_ARRAY_TASK_ID`. */
  arrayIndex?: number;
}

/** The Slurm job this process runs in, from the variables Slurm sets for it; undefined outside Slurm. */
export function slurmFromEnv(env: NodeJS.ProcessEnv = process.env): SlurmRef | undefined {
  const jobId = env.SLURM_ARRAY_JOB_ID ?? env.SLURM_JOB_ID;
  if (!jobId || !/^\d+$/.test(jobId)) return undefined;
  const task = env.SLURM_ARRAY_TASK_ID;
  return { jobId, ...(task && /^\d+$/.test(task) ? { arrayIndex: Number(task) } : {}) };
}
