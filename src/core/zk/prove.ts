import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomicFile';
import { allowListRootOf, allowListTree, parseAllowList } from './allowList';
import { accuracyCircuit, type AccuracyCircuit } from './circuit';
import { type AccuracyClaim, CLAIM_FILE, claimBytes, claimDigest, claimProblem, PROOF_FILE, VK_FILE } from './claim';
import { type CommitmentSecret, commitmentsOf, type ResultCommitment } from './commitment';
import { loadKimchi, loadPoseidon, verificationKeyLogDomain, verifyKimchi } from './kimchi';
import { compileOnDomainSrs, loadO1js, o1jsVersion, type O1js } from './o1js';
import publicInputBasis from './publicInputBasis.json';
import { circuitSizeFor, COMMITMENT_FILE, COMMITMENT_SCHEME, COMMITMENT_SECRET_FILE, minCorrectFor, PROOFS_DIR, SCHEME } from './scheme';
import knownKeys from './verificationKeys.json';


export interface ProveOptions {
  metric: string;
  min: number;
  /** Allow-list file of approved test-set SHA-256s. */
  allowList?: string;
  /** Proof folder; default `RUN_DIR/proofs/accuracy-<min>-<time>`. */
  outDir?: string;
  onProgress?(message: string): void;
}

export interface VerificationKeyFile {
  scheme: string;
  circuitSize: number;
  o1js: string;
  /** o1js's own serialisation of the Kimchi verification key. */
  data: string;
}

/**
 * `prove`: from a completed run's commitment, a zero-knowledge proof that the committed
 * predictions match the committed labels on at least ceil(min * n) test examples (and that the
 * test set is in the allow-list when one is given). A false claim is a UserError (exit 2)
 * before any proving: the circuit could not be satisfied anyway.
 */
export async function proveRun(runDir: string, opts: ProveOptions): Promise<{ proofDir: string; claim: AccuracyClaim }> {
  if (opts.metric !== 'accuracy') throw new UserError(`--metric: only "accuracy" can be proven, got "${opts.metric}"`);
  const commitment = await readJson<ResultCommitment>(path.join(runDir, COMMITMENT_FILE), () =>
    new UserError(`${runDir} has no ${COMMITMENT_FILE}: only completed classification train runs commit their test predictions`));
  const secret = await readJson<CommitmentSecret>(path.join(runDir, COMMITMENT_SECRET_FILE), () =>
    new UserError(`${runDir} has no ${COMMITMENT_SECRET_FILE}: the secret that opens the commitment is needed to prove`));
  if (commitment.scheme !== COMMITMENT_SCHEME || secret.scheme !== COMMITMENT_SCHEME) {
    throw new UserError(`the run's commitment uses scheme ${commitment.scheme}; this Model Lab proves ${COMMITMENT_SCHEME}`);
  }
  const n = secret.labels.length;
  const size = circuitSizeFor(n);
  const minCorrect = minCorrectFor(opts.min, n);
  const correct = secret.predictions.reduce((c, p, i) => c + (p === secret.labels[i] ? 1 : 0), 0);
  if (correct < minCorrect) {
    throw new UserError(`the claim is false: ${correct} of ${n} committed test predictions are correct (accuracy ${(correct / n).toFixed(4)}), fewer than the ${minCorrect} that accuracy >= ${opts.min} needs`);
  }
  const entries = opts.allowList ? parseAllowList(await fs.readFile(opts.allowList, 'utf8').catch(() => {
    throw new UserError(`cannot read the allow-list ${opts.allowList}`);
  }), opts.allowList) : [commitment.testSet.sha256];
  const index = entries.indexOf(commitment.testSet.sha256);
  if (index < 0) throw new UserError(`the claim is false: the run's test set (SHA-256 ${commitment.testSet.sha256}) is not in the allow-list ${opts.allowList}`);

  const progress = opts.onProgress ?? (() => undefined);
  progress('loading o1js');
  const o1js = await loadO1js();
  const committed = commitmentsOf(o1js, secret, commitment.testSet.sha256);
  if (committed.predictions.toString() !== commitment.predictions || committed.labels.toString() !== commitment.labels) {
    throw new UserError(`${COMMITMENT_SECRET_FILE} does not open the commitments in ${COMMITMENT_FILE} (was one of them edited?)`);
  }
  const tree = allowListTree(o1js, entries);
  const claim: AccuracyClaim = {
    statement: `The committed predictions equal the committed labels on at least ${minCorrect} of ${n} test examples (accuracy >= ${opts.min}), on ${opts.allowList ? 'a test set from the allow-list' : 'the test set with the SHA-256 below'}.`,
    scheme: SCHEME,
    proofSystem: { library: 'o1js', version: o1jsVersion(), proof: 'Kimchi (Pasta curves, inner-product argument: no trusted setup)' },
    metric: 'accuracy', min: opts.min, n, minCorrect, circuitSize: size,
    commitments: { predictions: commitment.predictions, labels: commitment.labels },
    ...(opts.allowList ? { allowList: { entries, root: tree.getRoot().toString() } } : { testSet: { sha256: commitment.testSet.sha256 } }),
    run: { runId: path.basename(path.resolve(runDir)), experiment: await experimentName(runDir) },
    createdAt: new Date().toISOString(),
  };
  const bytes = claimBytes(claim);

  progress(`compiling the circuit for ${size} examples (o1js, one-time setup cached in the per-user cache)`);
  const { circuit, verificationKey } = await compiledCircuit(o1js, size);
  // A proof whose key verify would not recognise is no use to anyone: refuse it before proving.
  if (sha256(verificationKey.toString()) !== knownKey(size)) {
    throw new UserError(`this Model Lab has no known verification key for the circuit of ${size} examples (run npm run zk:keys)`);
  }
  progress(`proving accuracy >= ${opts.min} (${minCorrect} of ${n})`);
  const { Field } = o1js;
  const pad = (xs: number[]) => [...xs, ...new Array<number>(size - n).fill(0)].map((x) => Field(x));
  const sha = commitment.testSet.sha256;
  const proof = await circuit.zkf.prove(
    statementOf(o1js, circuit, publicInputOf(claim, bytes, (xs) => o1js.Poseidon.hash(xs.map((x) => Field(x))).toBigInt())),
    pad(secret.predictions), pad(secret.labels), Field(secret.predictionsSalt), Field(secret.labelsSalt),
    Field(BigInt('0x' + sha.slice(0, 32))), Field(BigInt('0x' + sha.slice(32))),
    new circuit.AllowListPath(tree.getWitness(BigInt(index))),
  );

  const proofDir = path.resolve(opts.outDir ?? path.join(runDir, PROOFS_DIR, `accuracy-${opts.min}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const vk: VerificationKeyFile = { scheme: SCHEME, circuitSize: size, o1js: o1jsVersion(), data: verificationKey.toString() };
  await writeJsonAtomic(path.join(proofDir, VK_FILE), vk);
  await writeJsonAtomic(path.join(proofDir, PROOF_FILE), { scheme: SCHEME, proof: proof.toJSON().proof });
  await writeFileAtomic(path.join(proofDir, CLAIM_FILE), bytes);
  return { proofDir, claim };
}

export type Verification = { valid: true; claim: AccuracyClaim } | { valid: false; reason: string; claim?: AccuracyClaim };

/**
 * `verify`: checks a proof folder on its own (no run data): the verification key must be the
 * one Model Lab's circuit of that size has (`verificationKeys.json`), the claim's numbers must
 * be consistent, and the proof must verify against the public inputs rebuilt from claim.json.
 */
export async function verifyProofDir(proofDir: string): Promise<Verification> {
  const read = async (name: string) => fs.readFile(path.join(proofDir, name)).catch(() => {
    throw new UserError(`${proofDir} has no ${name}: expected a folder written by model-lab prove`);
  });
  const [bytes, proofText, vkText] = await Promise.all([read(CLAIM_FILE), read(PROOF_FILE), read(VK_FILE)]);
  const parse = <T>(b: Buffer): T | undefined => { try { return JSON.parse(b.toString('utf8')) as T; } catch { return undefined; } };
  const claim = parse<AccuracyClaim>(bytes);
  const invalid = (reason: string): Verification => ({ valid: false, reason, claim });
  const problem = claimProblem(claim);
  if (!claim || problem) return invalid(problem ?? 'claim.json is not JSON');
  if (claim.scheme !== SCHEME) return invalid(`claim scheme ${claim.scheme} is not ${SCHEME}`);
  const proofJson = parse<{ proof?: unknown }>(proofText);
  const vk = parse<VerificationKeyFile>(vkText);
  if (typeof proofJson?.proof !== 'string') return invalid('proof.json has no proof');
  if (!vk || typeof vk.data !== 'string') return invalid('vk.json has no verification key');
  if (vk.scheme !== claim.scheme || vk.circuitSize !== claim.circuitSize) return invalid('vk.json is for another circuit than the claim');
  const expected = knownKey(claim.circuitSize);
  if (!expected) return invalid(`no known verification key for ${claim.circuitSize} examples`);
  if (sha256(vk.data) !== expected) return invalid("vk.json is not the verification key of Model Lab's circuit");
  let size: number;
  try {
    size = circuitSizeFor(claim.n);
    if (claim.minCorrect !== minCorrectFor(claim.min, claim.n)) return invalid(`minCorrect ${claim.minCorrect} is not ceil(${claim.min} * ${claim.n})`);
  } catch (e) {
    return invalid(e instanceof Error ? e.message : String(e));
  }
  if (size !== claim.circuitSize) return invalid(`${claim.n} examples use the circuit of size ${size}, not ${claim.circuitSize}`);

  const [hash] = await Promise.all([loadPoseidon(), loadKimchi()]);
  if (claim.allowList && allowListRootOf(hash, claim.allowList.entries).toString() !== claim.allowList.root) return invalid('allowList.root is not the root of allowList.entries');
  const basis = (publicInputBasis as Record<string, { x: string; y: string }[]>)[String(2 ** verificationKeyLogDomain(vk.data))];
  if (!basis) return invalid('vk.json has a domain no Model Lab circuit has');
  const reason = await verifyKimchi({ verificationKey: vk.data, proof: proofJson.proof, publicInput: publicInputOf(claim, bytes, hash), lagrange: basis });
  return reason === undefined ? { valid: true, claim } : invalid(reason);
}

/** SHA-256 of the verification key of the circuit of `size` examples, from verificationKeys.json. */
function knownKey(size: number): string | undefined {
  return (knownKeys as Record<string, Record<string, string>>)[SCHEME]?.[String(size)];
}

const compiled = new Map<number, ReturnType<typeof compile>>();

/** Compiles the circuit of a size once per process (o1js keeps no keys across processes for it). */
function compiledCircuit(o1js: O1js, size: number): ReturnType<typeof compile> {
  if (!compiled.has(size)) compiled.set(size, compile(o1js, size));
  return compiled.get(size)!;
}

async function compile(o1js: O1js, size: number) {
  const circuit = accuracyCircuit(o1js, size);
  const { verificationKey } = await compileOnDomainSrs(() => circuit.zkf.compile());
  return { circuit, verificationKey };
}

/**
 * The public input, in the order of the circuit's Statement: the claim's commitments and
 * numbers, the allow-list root (over the claim's entries, or the test set alone) and the
 * digest of claim.json's exact bytes. Prover and verifier both build it from here.
 */
function publicInputOf(claim: AccuracyClaim, bytes: Uint8Array, hash: (xs: bigint[]) => bigint): bigint[] {
  return [
    BigInt(claim.commitments.predictions),
    BigInt(claim.commitments.labels),
    BigInt(claim.n),
    BigInt(claim.minCorrect),
    allowListRootOf(hash, claim.allowList?.entries ?? [claim.testSet!.sha256]),
    claimDigest(bytes),
  ];
}

function statementOf(o1js: O1js, circuit: AccuracyCircuit, values: bigint[]) {
  const [predictions, labels, n, minCorrect, allowListRoot, claimDigestValue] = values.map((x) => o1js.Field(x));
  return new circuit.Statement({ predictions, labels, n, minCorrect, allowListRoot, claimDigest: claimDigestValue });
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function readJson<T>(file: string, missing: () => Error): Promise<T> {
  const text = await fs.readFile(file, 'utf8').catch(() => { throw missing(); });
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(`${file} is not valid JSON`);
  }
}

async function experimentName(runDir: string): Promise<string> {
  const record = await fs.readFile(path.join(runDir, 'run.json'), 'utf8').then((t) => JSON.parse(t) as { experiment?: string }, () => undefined);
  return record?.experiment ?? '';
}
