import type { ExtractionSchema } from '../core/extract/schema';
import type { ProviderConfig } from '../core/extract/providers';
import type { ExtractionResult } from '../core/extract/types';
import { CANONICALIZATIONS } from '../core/reward/canonicalize';
import type { ErrorInfo } from '../core/errors';
import type { DifferenceResult, MatrixResult } from '../core/reward/comparison';
import type { AccuracyClaim } from '../core/zk/claim';
import type { ComparisonEstimate, ComparisonSettings, ComparisonSize } from '../core/reward/estimate';
import { NORMALIZATIONS, NORMS } from '../core/reward/norms';

/**
 * Interactive jobs: work the editor waits on that keeps no run store (extracting information
 * from a selection, a reward panel's distance matrix and cell differences, a proof of a run's
 * result). They run in a
 * runner process like experiment runs (`jobProcess.ts` on the host side, `interactiveJobs.ts`
 * in the worker), over the same IPC channel (`protocol.ts`: `job`, `cancelJob`, `jobProgress`,
 * `jobResult`, `jobError`), so TensorFlow.js, parsing, span matching and heavy arithmetic never
 * run on the extension host's thread, and a crash or out-of-memory takes down only that process.
 *
 * Adding a job: a request variant here, its result in `JobResults`, a case in
 * `interactiveJobs.ts`, and a check in `isJobRequest`.
 */
export type JobRequest = ExtractJobRequest | RewardsMatrixJobRequest | RewardsDifferenceJobRequest | ProveJobRequest;
export type JobKind = JobRequest['kind'];

/** Information extraction on a text with the built-in model or a remote provider. */
export interface ExtractJobRequest {
  kind: 'extract';
  text: string;
  schema: ExtractionSchema;
  /** For `openai`, with the key from the editor's secret storage: it travels over IPC only, never a command line. */
  provider: ProviderConfig;
}

/** What the reward panel asks about one rewards file. */
export interface RewardsJobRequest {
  /** Absolute path of the rewards file (for error messages and relative model paths). */
  file: string;
  /** The file's current text. */
  text: string;
  settings: ComparisonSettings;
  /** The user agreed to a comparison above the soft size limit (the hard limit still applies). */
  confirmed?: boolean;
  /** Restricted Mode: no learned reward models (no workspace paths opened), nothing above the soft limit. */
  restricted?: boolean;
}

export interface RewardsMatrixJobRequest extends RewardsJobRequest {
  kind: 'rewards-matrix';
}

export interface RewardsDifferenceJobRequest extends RewardsJobRequest {
  kind: 'rewards-difference';
  row: number;
  col: number;
}

/** A zero-knowledge proof that a completed run's committed test predictions reach accuracy >= `min` (`core/zk/prove.ts`). */
export interface ProveJobRequest {
  kind: 'prove';
  runDir: string;
  min: number;
}

export interface ProveResult {
  proofDir: string;
  claim: AccuracyClaim;
}

export type { DifferenceResult, MatrixResult };

/** A comparison above the soft size limit that the user has not confirmed: nothing was computed. */
export interface ConfirmationNeeded {
  confirm: { size: ComparisonSize; estimate: ComparisonEstimate };
}

export interface JobResults {
  extract: ExtractionResult;
  'rewards-matrix': MatrixResult | ConfirmationNeeded;
  'rewards-difference': DifferenceResult;
  prove: ProveResult;
}

export type JobResult = JobResults[JobKind];

/** Progress of a running job, for a notification or a panel's busy line. */
export interface JobProgress {
  /** 0..1 when the job knows how far it is. */
  fraction?: number;
  message: string;
}

/** A failed job: a UserError's fields (bad file, bad setting) or an internal error with its stack. */
export interface JobErrorInfo extends ErrorInfo {
  stack?: string;
}

export function isJobRequest(j: unknown): j is JobRequest {
  if (!isObject(j)) return false;
  switch (j.kind) {
    case 'extract':
      return typeof j.text === 'string' && isObject(j.schema) && Array.isArray(j.schema.entities) && Array.isArray(j.schema.relations) &&
        Array.isArray(j.schema.events) && isObject(j.provider) && typeof j.provider.kind === 'string';
    case 'rewards-matrix':
      return isRewardsRequest(j);
    case 'rewards-difference':
      return isRewardsRequest(j) && isIndex(j.row) && isIndex(j.col);
    case 'prove':
      return typeof j.runDir === 'string' && typeof j.min === 'number' && j.min >= 0 && j.min <= 1;
    default:
      return false;
  }
}

function isRewardsRequest(j: Record<string, any>): boolean {
  const s = j.settings;
  return typeof j.file === 'string' && typeof j.text === 'string' && isObject(s) &&
    (CANONICALIZATIONS as readonly unknown[]).includes(s.canon) && (NORMALIZATIONS as readonly unknown[]).includes(s.norm) && (NORMS as readonly unknown[]).includes(s.metric);
}

function isIndex(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
