import { isCompareSettings } from './messages';
import type { ComputeErrorInfo, DifferenceResult, MatrixRequest, MatrixResult } from './rewardsCompute';

/** Messages between the extension host and the reward worker thread (`rewardsWorker.ts`). */
export type WorkerRequest =
  | { id: number; kind: 'matrix'; request: MatrixRequest }
  | { id: number; kind: 'difference'; request: MatrixRequest; row: number; col: number };

export type WorkerReply =
  | { id: number; ok: true; result: MatrixResult | DifferenceResult }
  | { id: number; ok: false; error: ComputeErrorInfo };

export function isWorkerRequest(m: unknown): m is WorkerRequest {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  if (!Number.isSafeInteger(r.id)) return false;
  const req = r.request as Record<string, unknown> | undefined;
  const requestOk = typeof req === 'object' && req !== null && typeof req.file === 'string' && typeof req.text === 'string' && isCompareSettings(req.settings);
  if (!requestOk) return false;
  if (r.kind === 'matrix') return true;
  return r.kind === 'difference' && Number.isSafeInteger(r.row) && Number.isSafeInteger(r.col) && (r.row as number) >= 0 && (r.col as number) >= 0;
}
