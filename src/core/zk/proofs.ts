import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CLAIM_FILE, claimProblem, type AccuracyClaim } from './claim';
import { PROOFS_DIR } from './scheme';

/**
 * The proofs made for a run (`<runDir>/proofs/<name>/claim.json`), highest claimed accuracy
 * first. Only the claims are read (a proof is checked by `verify`, which takes seconds): for
 * labels such as the Runs view's "proven ≥ 0.85". Unreadable or malformed folders are skipped.
 */
export function listProofs(runDir: string): { proofDir: string; claim: AccuracyClaim }[] {
  let names: string[];
  try {
    names = readdirSync(path.join(runDir, PROOFS_DIR));
  } catch {
    return [];
  }
  const proofs: { proofDir: string; claim: AccuracyClaim }[] = [];
  for (const name of names) {
    const proofDir = path.join(runDir, PROOFS_DIR, name);
    try {
      const claim = JSON.parse(readFileSync(path.join(proofDir, CLAIM_FILE), 'utf8')) as unknown;
      if (claimProblem(claim) === undefined) proofs.push({ proofDir, claim: claim as AccuracyClaim });
    } catch {
      // not a proof folder (or one being written)
    }
  }
  return proofs.sort((a, b) => b.claim.min - a.claim.min);
}
