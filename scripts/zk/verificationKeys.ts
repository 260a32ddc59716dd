// Writes src/core/zk/verificationKeys.json (the SHA-256 of the verification key of the accuracy
// circuit at every size, which `model-lab verify` requires a proof's vk.json to match) and
// src/core/zk/publicInputBasis.json (per domain size, the commitments to the first Lagrange
// polynomials, one per public input: what the verifier commits the public input with, taken
// from o1js's Lagrange basis of that domain). Rerun after any change to the circuit or the
// proof parameters (and bump SCHEME). Usage: npm run zk:keys [-- SIZE...]
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { accuracyCircuit } from '../../src/core/zk/circuit';
import { verificationKeyLogDomain } from '../../src/core/zk/kimchi';
import { compileOnDomainSrs, loadO1js, zkCacheDir } from '../../src/core/zk/o1js';
import { sha256 } from '../../src/core/zk/prove';
import { CIRCUIT_SIZES, SCHEME } from '../../src/core/zk/scheme';

async function main(): Promise<void> {
  const dir = path.join(__dirname, '..', '..', 'src', 'core', 'zk');
  const keysFile = path.join(dir, 'verificationKeys.json');
  const basisFile = path.join(dir, 'publicInputBasis.json');
  const keys = JSON.parse(await fs.readFile(keysFile, 'utf8')) as Record<string, Record<string, string>>;
  const basis = JSON.parse(await fs.readFile(basisFile, 'utf8')) as Record<string, unknown[]>;
  const sizes = process.argv.slice(2).map(Number);
  const o1js = await loadO1js();
  keys[SCHEME] ??= {};
  for (const size of sizes.length ? sizes : CIRCUIT_SIZES) {
    const t0 = Date.now();
    const { verificationKey } = await compileOnDomainSrs(() => accuracyCircuit(o1js, size).zkf.compile());
    const data = verificationKey.toString();
    keys[SCHEME][String(size)] = sha256(data);
    const domain = 2 ** verificationKeyLogDomain(data);
    const publicInputs = (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { public: number }).public;
    const lagrange = JSON.parse(await fs.readFile(path.join(zkCacheDir(), `lagrange-basis-fp-${domain}`), 'utf8')) as { shifted: unknown[] }[];
    basis[String(domain)] = lagrange.slice(0, publicInputs).map((c) => {
      if (c.shifted.length !== 1) throw new Error(`the Lagrange commitment of domain ${domain} has ${c.shifted.length} chunks`);
      return c.shifted[0];
    });
    process.stderr.write(`${size}: ${keys[SCHEME][String(size)]}, domain ${domain} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    await fs.writeFile(keysFile, JSON.stringify(keys, null, 2) + '\n');
    await fs.writeFile(basisFile, JSON.stringify(Object.fromEntries(Object.entries(basis).sort((a, b) => Number(a[0]) - Number(b[0]))), null, 2) + '\n');
  }
  process.exit(0);
}
void main();
