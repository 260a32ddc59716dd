import { createHash } from 'node:crypto';
import { ALLOW_LIST_DEPTH } from './scheme';

/**
 * `claim.json`: the public statement a proof is checked against. Its exact bytes are bound
 * into the proof (see `claimDigest`), so it is written once and must be shared unchanged.
 */
export interface AccuracyClaim {
  /** One sentence a reader can check against the numbers below. */
  statement: string;
  scheme: string;
  proofSystem: { library: 'o1js'; version: string; proof: string };
  metric: 'accuracy';
  /** The claimed lower bound on accuracy, as given to `prove --min`. */
  min: number;
  /** Test examples the committed predictions and labels cover. */
  n: number;
  /** ceil(min * n): the committed predictions equal the committed labels on at least this many. */
  minCorrect: number;
  circuitSize: number;
  commitments: { predictions: string; labels: string };
  /** Without an allow-list: the test set itself (its SHA-256); the proof shows the labels were committed with it. */
  testSet?: { sha256: string };
  /** With one: the approved test sets; the proof shows the run's test set is one of them, not which. */
  allowList?: { entries: string[]; root: string };
  /** The run the commitments came from (information for people; bound like every other byte). */
  run?: { runId: string; experiment: string };
  createdAt: string;
}

export const CLAIM_FILE = 'claim.json';
export const PROOF_FILE = 'proof.json';
export const VK_FILE = 'vk.json';

/** The bytes written as claim.json. */
export function claimBytes(claim: AccuracyClaim): Buffer {
  return Buffer.from(JSON.stringify(claim, null, 2) + '\n', 'utf8');
}

/** The claim digest public input: the first 31 bytes of SHA-256(claim.json), as a field element. */
export function claimDigest(bytes: Uint8Array): bigint {
  return BigInt('0x' + createHash('sha256').update(bytes).digest('hex').slice(0, 62));
}

/** Shape check of a parsed claim.json; returns what is wrong, or undefined. */
export function claimProblem(c: unknown): string | undefined {
  if (typeof c !== 'object' || c === null) return 'claim.json is not a JSON object';
  const x = c as Record<string, unknown>;
  const isInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
  const isField = (v: unknown) => typeof v === 'string' && /^\d{1,78}$/.test(v);
  const isHash = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (typeof x.scheme !== 'string') return 'claim.json has no scheme';
  if (x.metric !== 'accuracy') return `unsupported metric ${JSON.stringify(x.metric)}`;
  if (typeof x.min !== 'number' || !(x.min >= 0 && x.min <= 1)) return 'min must be a number from 0 to 1';
  if (!isInt(x.n) || (x.n as number) < 1) return 'n must be a positive integer';
  if (!isInt(x.minCorrect) || !isInt(x.circuitSize)) return 'minCorrect and circuitSize must be integers';
  const cm = x.commitments as Record<string, unknown> | undefined;
  if (!cm || !isField(cm.predictions) || !isField(cm.labels)) return 'commitments.predictions and commitments.labels must be field elements';
  const ts = x.testSet as Record<string, unknown> | undefined;
  const al = x.allowList as Record<string, unknown> | undefined;
  if ((ts === undefined) === (al === undefined)) return 'the claim must name either a testSet or an allowList';
  if (ts && !isHash(ts.sha256)) return 'testSet.sha256 must be a SHA-256 in hex';
  if (al && (!Array.isArray(al.entries) || al.entries.length === 0 || al.entries.length > 2 ** ALLOW_LIST_DEPTH || !al.entries.every(isHash) || !isField(al.root))) {
    return `allowList must have 1 to ${2 ** ALLOW_LIST_DEPTH} SHA-256 entries and a root`;
  }
  return undefined;
}
