import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../../src/core/errors';
import { allowListRootOf, allowListTree, parseAllowList } from '../../../src/core/zk/allowList';
import { accuracyCircuit } from '../../../src/core/zk/circuit';
import { claimDigest } from '../../../src/core/zk/claim';
import { commitmentsOf, createCommitment, testSetLeaf } from '../../../src/core/zk/commitment';
import { loadPoseidon, verificationKeyLogDomain } from '../../../src/core/zk/kimchi';
import { compileOnDomainSrs, loadO1js, zkCacheDir } from '../../../src/core/zk/o1js';
import publicInputBasis from '../../../src/core/zk/publicInputBasis.json';
import { proveRun, sha256, verifyProofDir } from '../../../src/core/zk/prove';
import { COMMITMENT_FILE, COMMITMENT_SECRET_FILE } from '../../../src/core/zk/scheme';
import { circuitSizeFor, minCorrectFor, SCHEME } from '../../../src/core/zk/scheme';
import knownKeys from '../../../src/core/zk/verificationKeys.json';

// Real proofs with o1js on the smallest circuit (16 examples): the per-user cache (the SRS) goes
// to one folder shared by test runs, so only the first run on a machine derives it.
process.env.MODEL_LAB_CACHE_DIR ??= path.join(tmpdir(), 'model-lab-test-cache');

const TEST_SET = 'ab'.repeat(32);
const OTHER_SET = 'cd'.repeat(32);
const labels = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 4];
const predictions = [0, 1, 2, 3, 0, 1, 2, 0, 0, 1, 3, 3, 4]; // 11 of 13 correct

async function runWithCommitment(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-zk-'));
  const { commitment, secret } = await createCommitment({ predictions, labels, numClasses: 5, testSet: { sha256: TEST_SET, files: ['test.csv'] } });
  await fs.writeFile(path.join(dir, COMMITMENT_FILE), JSON.stringify(commitment));
  await fs.writeFile(path.join(dir, COMMITMENT_SECRET_FILE), JSON.stringify(secret));
  return dir;
}

test('thresholds are exact decimals and circuit sizes cover n', () => {
  assert.equal(minCorrectFor(0.85, 360), 306); // 0.85 * 360 = 306.00000000000006 in floating point
  assert.equal(minCorrectFor(0.851, 360), 307);
  assert.equal(minCorrectFor(1, 13), 13);
  assert.equal(minCorrectFor(0, 13), 0);
  assert.equal(minCorrectFor(0.5, 13), 7);
  assert.equal(minCorrectFor(1e-7, 13), 1);
  assert.throws(() => minCorrectFor(1.2, 10), UserError);
  assert.deepEqual([1, 16, 17, 256, 300, 2048].map(circuitSizeFor), [16, 16, 64, 256, 512, 2048]);
  assert.throws(() => circuitSizeFor(2049), /at most|1 to 2048/);
});

test('allow-lists: sha256sum lines, comments, duplicates once, bad lines named by line number', () => {
  const text = `# approved test sets\n${TEST_SET}  digits-test.csv\n\n${OTHER_SET.toUpperCase()}\n${TEST_SET}\n`;
  assert.deepEqual(parseAllowList(text, 'allow.txt'), [TEST_SET, OTHER_SET]);
  assert.throws(() => parseAllowList(`${TEST_SET}\nnot-a-hash\n`, 'allow.txt'), (e: UserError) => e.line === 2 && e.file === 'allow.txt');
  assert.throws(() => parseAllowList('# nothing\n', 'allow.txt'), /no entries/);
});

test('commitments are salted: the same predictions commit differently per run, and the secret opens them', async () => {
  const a = await createCommitment({ predictions, labels, numClasses: 5, testSet: { sha256: TEST_SET, files: [] } });
  const b = await createCommitment({ predictions, labels, numClasses: 5, testSet: { sha256: TEST_SET, files: [] } });
  assert.notEqual(a.commitment.predictions, b.commitment.predictions);
  assert.notEqual(a.commitment.labels, b.commitment.labels);
  assert.equal(a.commitment.accuracy, 11 / 13);
  assert.equal(a.commitment.circuitSize, 16);
  const o1js = await loadO1js();
  const opened = commitmentsOf(o1js, a.secret, TEST_SET);
  assert.equal(opened.predictions.toString(), a.commitment.predictions);
  assert.equal(commitmentsOf(o1js, a.secret, OTHER_SET).labels.toString() === a.commitment.labels, false, 'the labels commitment binds the test set');
});

test('the circuit refuses a threshold above the true count, a wrong opening and a test set outside the allow-list', async () => {
  const o1js = await loadO1js();
  const { Field } = o1js;
  const { commitment, secret } = await createCommitment({ predictions, labels, numClasses: 5, testSet: { sha256: TEST_SET, files: [] } });
  const circuit = accuracyCircuit(o1js, 16);
  const { verificationKey } = await compileOnDomainSrs(() => circuit.zkf.compile());
  const vk = verificationKey.toString();
  assert.equal(sha256(vk), (knownKeys as Record<string, Record<string, string>>)[SCHEME]['16'],
    'verificationKeys.json matches the circuit (after changing it, bump SCHEME and run npm run zk:keys)');
  // The proof is made on the SRS of the circuit's own domain, and the verifier commits to the
  // public input with the shipped Lagrange commitments: they are o1js's for that domain.
  const domain = 2 ** verificationKeyLogDomain(vk);
  assert.equal((JSON.parse(Buffer.from(vk, 'base64').toString('utf8')) as { max_poly_size: number }).max_poly_size, domain);
  const basis = JSON.parse(await fs.readFile(path.join(zkCacheDir(), `lagrange-basis-fp-${domain}`), 'utf8')) as { shifted: unknown[] }[];
  assert.deepEqual((publicInputBasis as Record<string, unknown[]>)[String(domain)], basis.slice(0, 6).map((c) => c.shifted[0]));
  const pad = (xs: number[]) => [...xs, 0, 0, 0].map((x) => Field(x));
  const tree = allowListTree(o1js, [OTHER_SET, TEST_SET]);
  const attempt = (over: { minCorrect?: number; saltP?: string; root?: ReturnType<typeof tree.getRoot> }) =>
    circuit.zkf.prove(
      new circuit.Statement({
        predictions: Field(commitment.predictions), labels: Field(commitment.labels), n: Field(13),
        minCorrect: Field(over.minCorrect ?? 11), allowListRoot: over.root ?? tree.getRoot(), claimDigest: Field(claimDigest(new Uint8Array([1]))),
      }),
      pad(predictions), pad(labels), Field(over.saltP ?? secret.predictionsSalt), Field(secret.labelsSalt),
      Field(BigInt('0x' + TEST_SET.slice(0, 32))), Field(BigInt('0x' + TEST_SET.slice(32))),
      new circuit.AllowListPath(tree.getWitness(1n)),
    );
  await assert.rejects(attempt({ minCorrect: 12 }), 'a proof for 12 of 13 when 11 are correct cannot be made');
  await assert.rejects(attempt({ saltP: '12345' }), 'predictions that do not open the commitment are refused');
  await assert.rejects(attempt({ root: allowListTree(o1js, [OTHER_SET]).getRoot() }), 'a test set outside the allow-list is refused');
  assert.notEqual(testSetLeaf(o1js, TEST_SET).toString(), testSetLeaf(o1js, OTHER_SET).toString());
  // verify rebuilds the root without o1js: the same as o1js's MerkleTree, for one and for three leaves.
  const hash = await loadPoseidon();
  assert.equal(allowListRootOf(hash, [OTHER_SET, TEST_SET]), tree.getRoot().toBigInt());
  assert.equal(allowListRootOf(hash, [TEST_SET, OTHER_SET, 'ef'.repeat(32)]), allowListTree(o1js, [TEST_SET, OTHER_SET, 'ef'.repeat(32)]).getRoot().toBigInt());
});

test('a proof for the true accuracy verifies; any change to the claim, proof or key does not; allow-lists both ways', async () => {
  const runDir = await runWithCommitment();
  const allow = path.join(runDir, 'allow.txt');
  writeFileSync(allow, `${OTHER_SET}\n${TEST_SET}  test.csv\n`);
  const { proofDir, claim } = await proveRun(runDir, { metric: 'accuracy', min: 11 / 13, allowList: allow });
  assert.equal(claim.minCorrect, 11);
  assert.deepEqual(claim.allowList?.entries, [OTHER_SET, TEST_SET]);
  assert.equal(claim.testSet, undefined, 'with an allow-list the claim does not say which test set');
  const claimText = await fs.readFile(path.join(proofDir, 'claim.json'), 'utf8');
  assert.ok(!claimText.includes('predictionsSalt') && !claimText.includes('"predictions": ['), 'no secret in the claim');
  assert.deepEqual(await verifyProofDir(proofDir), { valid: true, claim });

  // Outside the allow-list, or above the true accuracy: no proof (a user error, exit 2 in the CLI).
  writeFileSync(allow, `${OTHER_SET}\n`);
  await assert.rejects(proveRun(runDir, { metric: 'accuracy', min: 0.5, allowList: allow }), /not in the allow-list/);
  await assert.rejects(proveRun(runDir, { metric: 'accuracy', min: 0.9 }), /claim is false: 11 of 13/);

  const tampered = async (file: string, edit: (text: string) => string): Promise<string> => {
    const copy = mkdtempSync(path.join(tmpdir(), 'ml-zk-tampered-'));
    for (const f of ['claim.json', 'proof.json', 'vk.json']) await fs.copyFile(path.join(proofDir, f), path.join(copy, f));
    const before = await fs.readFile(path.join(copy, file), 'utf8');
    const after = edit(before);
    assert.notEqual(after, before, `the edit of ${file} changes it`);
    await fs.writeFile(path.join(copy, file), after);
    const result = await verifyProofDir(copy);
    assert.equal(result.valid, false, `verify must fail after editing ${file}`);
    return result.valid ? '' : result.reason;
  };
  const json = (f: (c: Record<string, any>) => void) => (text: string) => {
    const c = JSON.parse(text) as Record<string, any>;
    f(c);
    return JSON.stringify(c, null, 2) + '\n';
  };
  // Threshold lowered consistently (min and minCorrect agree): only the proof can catch it.
  assert.match(await tampered('claim.json', json((c) => { c.min = 0.7; c.minCorrect = 10; })), /does not verify/);
  assert.match(await tampered('claim.json', json((c) => { c.minCorrect = 10; })), /minCorrect/);
  assert.match(await tampered('claim.json', json((c) => { c.commitments.predictions = String(BigInt(c.commitments.predictions) + 1n); })), /does not verify/);
  assert.match(await tampered('claim.json', json((c) => { c.commitments.labels = String(BigInt(c.commitments.labels) - 1n); })), /does not verify/);
  assert.match(await tampered('claim.json', json((c) => { c.allowList.entries = [OTHER_SET]; })), /root/);
  // One byte that no field check looks at (the statement's text): bound by the claim digest.
  assert.match(await tampered('claim.json', (t) => t.replace('The committed', 'the committed')), /does not verify/);
  for (const at of [200, 1000, 4000]) {
    assert.match(await tampered('proof.json', json((p) => { p.proof = flipChar(p.proof as string, at); })), /does not verify|canonical|does not hold/);
  }
  assert.match(await tampered('vk.json', json((v) => { v.data = flipChar(v.data as string, 100); })), /verification key/);

  // Single bytes of claim.json all along it (every 23rd: each verification costs ~0.4 s of CPU),
  // changed: verify fails (some changes break the JSON or a field check; the rest are caught by
  // the proof, which binds the claim's digest).
  const copy = mkdtempSync(path.join(tmpdir(), 'ml-zk-bytes-'));
  for (const f of ['proof.json', 'vk.json']) await fs.copyFile(path.join(proofDir, f), path.join(copy, f));
  const original = await fs.readFile(path.join(proofDir, 'claim.json'));
  const accepted: number[] = [];
  for (let i = 5; i < original.length; i += 23) {
    const changed = Buffer.from(original);
    changed[i] = changed[i] === 0x31 ? 0x32 : 0x31; // '1' or '2': keeps numbers numbers where the byte was a digit
    await fs.writeFile(path.join(copy, 'claim.json'), changed);
    if ((await verifyProofDir(copy)).valid) accepted.push(i);
  }
  assert.deepEqual(accepted, [], 'no changed byte of claim.json verifies');
  await fs.writeFile(path.join(copy, 'claim.json'), original);
  assert.equal((await verifyProofDir(copy)).valid, true, 'the unchanged copy, alone in its folder, verifies (no run data needed)');
});

/** The base64 text with the character at `i` replaced by another base64 character. */
function flipChar(text: string, i: number): string {
  return text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
}
