import type { Field as FieldT } from 'o1js';
import type { O1js } from './o1js';
import { ALLOW_LIST_DEPTH } from './scheme';

/** Public inputs of the accuracy circuit, in this order. */
export interface StatementValues {
  predictions: FieldT;
  labels: FieldT;
  n: FieldT;
  minCorrect: FieldT;
  allowListRoot: FieldT;
  /**
   * SHA-256 of the exact bytes of claim.json (first 31 bytes). No constraint uses it: a public
   * input is part of what the proof is checked against, so any change to the claim breaks it.
   */
  claimDigest: FieldT;
}

/**
 * The accuracy circuit for `size` test examples, as an o1js ZkFunction (a plain Kimchi proof:
 * Pasta curves with an inner-product-argument commitment, so no trusted setup and nothing to
 * download). It proves, for private predictions p, labels y, salts and test-set hash:
 * - Poseidon(saltP, n, p) and Poseidon(saltL, n, leaf(testSet), y) equal the public commitments;
 * - leaf(testSet) is in the Merkle tree whose root is public (the allow-list);
 * - a mask m (m_i = 1 exactly for i < n: boolean, non-increasing, summing to n) selects the
 *   real examples, and sum_i m_i * [p_i == y_i] >= minCorrect.
 */
export function accuracyCircuit(o1js: O1js, size: number) {
  const { Field, Bool, Poseidon, Provable, Struct, MerkleWitness, Experimental } = o1js;
  class Statement extends Struct({
    predictions: Field, labels: Field, n: Field, minCorrect: Field, allowListRoot: Field, claimDigest: Field,
  }) {}
  class AllowListPath extends MerkleWitness(ALLOW_LIST_DEPTH + 1) {}
  const Values = Provable.Array(Field, size);
  const Mask = Provable.Array(Bool, size);

  const zkf = Experimental.ZkFunction({
    name: `model-lab-accuracy-${size}`,
    publicInputType: Statement,
    privateInputTypes: [Values, Values, Field, Field, Field, Field, AllowListPath],
    main(s: Statement, p: FieldT[], y: FieldT[], saltP: FieldT, saltL: FieldT, hi: FieldT, lo: FieldT, path: AllowListPath) {
      Poseidon.hash([saltP, s.n, ...p]).assertEquals(s.predictions, 'predictions do not match their commitment');
      const leaf = Poseidon.hash([hi, lo]);
      Poseidon.hash([saltL, s.n, leaf, ...y]).assertEquals(s.labels, 'labels do not match their commitment');
      path.calculateRoot(leaf).assertEquals(s.allowListRoot, 'the test set is not in the allow-list');

      const mask = Provable.witness(Mask, () => {
        const n = Number(s.n.toBigInt());
        return Array.from({ length: size }, (_, i) => Bool(i < n));
      });
      let count = Field(0);
      let correct = Field(0);
      for (let i = 0; i < size; i++) {
        if (i > 0) mask[i].toField().mul(Field(1).sub(mask[i - 1].toField())).assertEquals(0);
        count = count.add(mask[i].toField());
        correct = correct.add(mask[i].and(p[i].equals(y[i])).toField());
      }
      count.assertEquals(s.n);
      correct.assertGreaterThanOrEqual(s.minCorrect, 'fewer correct predictions than claimed');
    },
  });
  return { zkf, Statement, AllowListPath };
}

export type AccuracyCircuit = ReturnType<typeof accuracyCircuit>;
