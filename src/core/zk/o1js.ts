import { mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type KimchiWasm, loadKimchi, o1jsDistDir, type Srs } from './kimchi';

/**
 * Loads o1js (Apache-2.0) lazily: it is large (a 40 MB OCaml-to-JS bundle and a 15 MB wasm
 * prover), and only proving and writing commitments need it (verifying uses its wasm prover
 * alone: kimchi.ts). Its ES module build is
 * imported (esbuild keeps `import()` of an external package as is), so its SRS cache can be
 * pointed at Model Lab's per-user cache directory: o1js only exposes that switch internally.
 */
export type O1js = typeof import('o1js');

let importing: Promise<O1js> | undefined;
let loading: Promise<O1js> | undefined;

/** o1js for hashing only (Poseidon, Merkle trees on constants): no prover bindings, ~0.2 s. */
export function importO1js(): Promise<O1js> {
  importing ??= import('o1js');
  return importing;
}

/** o1js ready to compile, prove and verify, with its SRS cached per user. */
export function loadO1js(): Promise<O1js> {
  loading ??= (async () => {
    const o1js = await importO1js();
    await o1js.initializeBindings();
    // The SRS (2^16 curve points derived by hashing, no trusted setup) takes seconds to
    // derive; o1js can keep it in a cache, which its public API only sets up for ZkProgram.
    const cacheModule = path.join(o1jsDistDir(), 'bindings', 'crypto', 'cache.js');
    const { setSrsCache } = (await import(pathToFileURL(cacheModule).href)) as { setSrsCache(c: unknown): void };
    const dir = zkCacheDir();
    mkdirSync(dir, { recursive: true });
    setSrsCache(o1js.Cache.FileSystem(dir));
    return o1js;
  })();
  return loading;
}

let onDomainSrs = false;
let hooked = false;
const domainSrs = new Map<number, Srs>();

/**
 * Compiles a circuit against the SRS of its own domain instead of o1js's 2^16-point SRS
 * (sized for Pickles recursion). A Kimchi proof opens its polynomials over every point of the
 * SRS it was made with, so verifying costs one multi-scalar multiplication of the SRS's size:
 * for n = 256 (a 2^13-row domain) the full SRS made that 8x larger than needed (1.7 s of CPU
 * instead of 0.35 s), and proofs carry 16 opening rounds instead of 13. kimchi derives SRS
 * point i from i alone (hashing, no trusted setup), so the prefix of the SRS is the SRS of
 * that size: what `verifyKimchi` derives on its own. The circuit's Lagrange basis (needed to
 * commit to the witness) comes from o1js's per-user cache, computed there once.
 */
export async function compileOnDomainSrs<T>(compile: () => Promise<T>): Promise<T> {
  await loadO1js();
  const { wasm } = await loadKimchi();
  if (!hooked) {
    hooked = true;
    // o1js's OCaml side calls the wasm module's exports by name at call time: wrapping the
    // export is the one place where the SRS of a new prover index can be chosen.
    const createIndex = wasm.caml_pasta_fp_plonk_index_create;
    wasm.caml_pasta_fp_plonk_index_create = (gates, publicInputs, lookupTables, runtimeTables, prevChallenges, srs, lazy) => {
      const create = (on: unknown) => createIndex(gates, publicInputs, lookupTables, runtimeTables, prevChallenges, on, lazy);
      // Lookup tables are moved into the index, so they cannot be passed twice (our circuits have none).
      if (!onDomainSrs || (lookupTables as Uint32Array).length > 0 || (runtimeTables as Uint32Array).length > 0) return create(srs);
      // The domain kimchi picks for these gates (at least the range-check lookup table's: 2^13
      // for every size up to 256), from a lazy index on the full SRS, then dropped.
      const probe = createIndex(gates, publicInputs, lookupTables, runtimeTables, prevChallenges, srs, true) as { free(): void };
      const logSize = Math.log2(wasm.caml_pasta_fp_plonk_index_domain_d1_size(probe));
      probe.free();
      const index = create(srsPrefix(wasm, srs as Srs, logSize));
      const size = wasm.caml_pasta_fp_plonk_index_domain_d1_size(index);
      if (size !== 2 ** logSize) throw new Error(`kimchi chose a domain of ${size} rows, not ${2 ** logSize}`);
      return index;
    };
  }
  onDomainSrs = true;
  try {
    return await compile();
  } finally {
    onDomainSrs = false;
  }
}

/** The first 2^logSize points of o1js's SRS, with their Lagrange basis (runs in the thread pool, inside compile). */
function srsPrefix(wasm: KimchiWasm, full: Srs, logSize: number): Srs {
  let srs = domainSrs.get(logSize);
  if (!srs) {
    const helpers = (globalThis as { __snarkyTsBindings?: { srs(wasm: unknown): { fp: { addLagrangeBasis(srs: unknown, log: number): void } } } }).__snarkyTsBindings;
    if (!helpers) throw new Error('o1js bindings are not loaded');
    helpers.srs(wasm).fp.addLagrangeBasis(full, logSize); // from the per-user cache, or computed once and written there
    srs = wasm.caml_fp_srs_set(wasm.caml_fp_srs_get(full).slice(0, 1 + 2 ** logSize)); // h, then g_0 .. g_{2^logSize - 1}
    wasm.caml_fp_srs_set_lagrange_basis(srs, 2 ** logSize, wasm.caml_fp_srs_get_lagrange_basis(full, 2 ** logSize));
    domainSrs.set(logSize, srs);
  }
  return srs;
}

/** Version of o1js in use (part of the cache key and of every claim: proofs are its format). */
export function o1jsVersion(): string {
  return (JSON.parse(readFileSync(path.join(o1jsDistDir(), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Per-user cache of one-time setup artefacts, keyed by the o1js version:
 * `$MODEL_LAB_CACHE_DIR`, else the platform's cache folder (`~/.cache`, `~/Library/Caches`,
 * `%LOCALAPPDATA%`) + `model-lab/zk/o1js-<version>`.
 */
export function zkCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const base = env.MODEL_LAB_CACHE_DIR
    ? env.MODEL_LAB_CACHE_DIR
    : platform === 'win32'
      ? path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'model-lab', 'Cache')
      : platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Caches', 'model-lab')
        : path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'model-lab');
  return path.join(base, 'zk', `o1js-${o1jsVersion()}`);
}
