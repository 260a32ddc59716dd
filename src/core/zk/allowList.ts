import type { MerkleTree as MerkleTreeT } from 'o1js';
import { UserError } from '../errors';
import { testSetHalves, testSetLeaf } from './commitment';
import type { O1js } from './o1js';
import { ALLOW_LIST_DEPTH } from './scheme';

/**
 * An allow-list of approved test sets: one SHA-256 (hex) per line, as `sha256sum` prints it
 * (anything after the hash is ignored), `#` comments and blank lines skipped. Order is kept:
 * it fixes the Merkle tree, so a verifier rebuilds the same root from the same list.
 */
export function parseAllowList(text: string, file: string): string[] {
  const entries: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const hash = line.split(/\s+/)[0].replace(/^\\/, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new UserError(`expected a SHA-256 in hex (64 hex digits), got "${line.slice(0, 80)}"`, undefined, file, i + 1, 1);
    if (!entries.includes(hash)) entries.push(hash);
  });
  if (entries.length === 0) throw new UserError('the allow-list has no entries', undefined, file);
  if (entries.length > 2 ** ALLOW_LIST_DEPTH) throw new UserError(`the allow-list has ${entries.length} entries; at most ${2 ** ALLOW_LIST_DEPTH} are supported`, undefined, file);
  return entries;
}

/**
 * The Merkle tree (Poseidon, depth ALLOW_LIST_DEPTH, empty leaves 0) over the entries' leaves.
 * Without an allow-list the tree holds the run's own test set alone, so the circuit is the same.
 */
export function allowListTree(o1js: O1js, entries: string[]): MerkleTreeT {
  const tree = new o1js.MerkleTree(ALLOW_LIST_DEPTH + 1);
  tree.fill(entries.map((e) => testSetLeaf(o1js, e)));
  return tree;
}

/**
 * The root of that tree over bigints, with o1js's Poseidon passed in (`loadPoseidon`): what
 * `verify` computes without loading o1js. Empty leaves are 0 and level i+1 of an empty subtree
 * hashes two of level i, as o1js's MerkleTree does.
 */
export function allowListRootOf(hash: (xs: bigint[]) => bigint, entries: string[]): bigint {
  let level = entries.map((e) => hash(testSetHalves(e)));
  let empty = 0n;
  for (let depth = 0; depth < ALLOW_LIST_DEPTH; depth++) {
    const next: bigint[] = [];
    for (let i = 0; i < Math.max(1, level.length); i += 2) next.push(hash([level[i] ?? empty, level[i + 1] ?? empty]));
    level = next;
    empty = hash([empty, empty]);
  }
  return level[0];
}
