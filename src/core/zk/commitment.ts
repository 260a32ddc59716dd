import { randomBytes } from 'node:crypto';
import type { Field as FieldT } from 'o1js';
import { COMMITMENT_SCHEME, circuitSizeFor } from './scheme';
import { loadPoseidon } from './kimchi';
import type { O1js } from './o1js';

/**
 * Hash commitments to a run's test predictions and labels, written when the run is
 * evaluated. Poseidon over the Pasta field (what the circuit hashes natively), each with its
 * own secret salt so that the public commitment reveals nothing about the values:
 *   predictions = Poseidon(saltP, n, p_0 .. p_{N-1})
 *   labels      = Poseidon(saltL, n, leaf, y_0 .. y_{N-1}),  leaf = Poseidon(hi128, lo128) of the test set's SHA-256
 * with both arrays padded by zeros to the circuit size N (the circuit ignores entries >= n).
 */
export interface ResultCommitment {
  scheme: string;
  /** Test examples committed. */
  n: number;
  circuitSize: number;
  numClasses: number;
  predictions: string;
  labels: string;
  testSet: TestSetIdentity;
  /** Accuracy of the committed predictions (what a proof can claim at most). */
  accuracy: number;
  createdAt: string;
}

/** What identifies the test set: the SHA-256 of its file(s), as `sha256sum` prints it for one file. */
export interface TestSetIdentity {
  /** SHA-256 of the test file's bytes (IDX: images then labels, concatenated). */
  sha256: string;
  files: string[];
  /** Set when the test split was held out of the training file(s) rather than read from its own. */
  heldOut?: { fraction: number; seed: number; limit?: number };
}

/** Kept in the run folder only (file mode 0600): what a proof needs and must never reveal. */
export interface CommitmentSecret {
  scheme: string;
  predictionsSalt: string;
  labelsSalt: string;
  predictions: number[];
  labels: number[];
}

export async function createCommitment(a: {
  predictions: ArrayLike<number>;
  labels: ArrayLike<number>;
  numClasses: number;
  testSet: TestSetIdentity;
}): Promise<{ commitment: ResultCommitment; secret: CommitmentSecret }> {
  const n = a.labels.length;
  if (a.predictions.length !== n) throw new Error(`${a.predictions.length} predictions for ${n} labels`);
  const predictions = Array.from(a.predictions);
  const labels = Array.from(a.labels);
  const secret: CommitmentSecret = { scheme: COMMITMENT_SCHEME, predictionsSalt: randomSalt(), labelsSalt: randomSalt(), predictions, labels };
  // o1js's Poseidon over bigints, not o1js itself: every evaluated run pays this (o1js's start-up
  // costs ~0.5 s of CPU); the circuit's `commitmentsOf` recomputes the same values (a test).
  const { predictions: pc, labels: lc } = commitmentValues(await loadPoseidon(), secret, a.testSet.sha256);
  const correct = predictions.reduce((c, p, i) => c + (p === labels[i] ? 1 : 0), 0);
  return {
    commitment: {
      scheme: COMMITMENT_SCHEME, n, circuitSize: circuitSizeFor(n), numClasses: a.numClasses,
      predictions: pc.toString(), labels: lc.toString(), testSet: a.testSet,
      accuracy: correct / n, createdAt: new Date().toISOString(),
    },
    secret,
  };
}

/** The two commitments of a secret as bigints, with a Poseidon over bigints (`loadPoseidon`). */
export function commitmentValues(hash: (xs: bigint[]) => bigint, secret: CommitmentSecret, testSetSha256: string): { predictions: bigint; labels: bigint } {
  const n = secret.labels.length;
  const size = circuitSizeFor(n);
  const pad = (xs: number[]) => [...xs, ...new Array<number>(size - xs.length).fill(0)].map((x) => BigInt(x));
  return {
    predictions: hash([BigInt(secret.predictionsSalt), BigInt(n), ...pad(secret.predictions)]),
    labels: hash([BigInt(secret.labelsSalt), BigInt(n), hash(testSetHalves(testSetSha256)), ...pad(secret.labels)]),
  };
}

/** The two commitments of a secret (what the circuit recomputes). */
export function commitmentsOf(o1js: O1js, secret: CommitmentSecret, testSetSha256: string): { predictions: FieldT; labels: FieldT } {
  const { Field, Poseidon } = o1js;
  const n = secret.labels.length;
  const size = circuitSizeFor(n);
  const pad = (xs: number[]) => [...xs, ...new Array<number>(size - xs.length).fill(0)].map((x) => Field(x));
  return {
    predictions: Poseidon.hash([Field(secret.predictionsSalt), Field(n), ...pad(secret.predictions)]),
    labels: Poseidon.hash([Field(secret.labelsSalt), Field(n), testSetLeaf(o1js, testSetSha256), ...pad(secret.labels)]),
  };
}

/** A test set's SHA-256 as one field element: Poseidon of its two 128-bit halves. */
export function testSetLeaf(o1js: O1js, sha256: string): FieldT {
  return o1js.Poseidon.hash(testSetHalves(sha256).map((x) => o1js.Field(x)));
}

/** The two 128-bit halves of a SHA-256 in hex (what the leaf hashes). */
export function testSetHalves(sha256: string): bigint[] {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256 in hex: ${sha256}`);
  return [BigInt('0x' + sha256.slice(0, 32)), BigInt('0x' + sha256.slice(32))];
}

/** 248 random bits: below the field modulus, so every salt is a distinct field element. */
function randomSalt(): string {
  return BigInt('0x' + randomBytes(31).toString('hex')).toString();
}
