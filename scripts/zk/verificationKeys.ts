// Writes src/core/zk/verificationKeys.json: the SHA-256 of the verification key of the
// accuracy circuit at every size, which `model-lab verify` requires a proof's vk.json to match.
// Rerun after any change to the circuit (and bump SCHEME). Usage: npm run zk:keys [-- SIZE...]
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { accuracyCircuit } from '../../src/core/zk/circuit';
import { loadO1js } from '../../src/core/zk/o1js';
import { sha256 } from '../../src/core/zk/prove';
import { CIRCUIT_SIZES, SCHEME } from '../../src/core/zk/scheme';

async function main(): Promise<void> {
  const file = path.join(__dirname, '..', '..', 'src', 'core', 'zk', 'verificationKeys.json');
  const table = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, Record<string, string>>;
  const sizes = process.argv.slice(2).map(Number);
  const o1js = await loadO1js();
  table[SCHEME] ??= {};
  for (const size of sizes.length ? sizes : CIRCUIT_SIZES) {
    const t0 = Date.now();
    const { verificationKey } = await accuracyCircuit(o1js, size).zkf.compile();
    table[SCHEME][String(size)] = sha256(verificationKey.toString());
    process.stderr.write(`${size}: ${table[SCHEME][String(size)]} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    await fs.writeFile(file, JSON.stringify(table, null, 2) + '\n');
  }
  process.exit(0);
}
void main();
