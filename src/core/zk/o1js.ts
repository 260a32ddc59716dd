import { mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Loads o1js (Apache-2.0) lazily: it is large (a 40 MB OCaml-to-JS bundle and a 15 MB wasm
 * prover), and only proving, verifying and writing commitments need it. Its ES module build is
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

interface O1jsInternals {
  Pickles: { loadSrsFp(): unknown };
  wasm: unknown;
  withThreadPool<T>(run: () => Promise<T>): Promise<T>;
}

/**
 * Loads the SRS and the Lagrange basis of a circuit's domain (2^logDomainSize) into o1js, from
 * the per-user cache or computed once and written there. Verification needs the basis for the
 * public inputs; o1js computes it lazily and forgets it, which costs several seconds per
 * process. Runs in o1js's thread pool, which deriving either needs.
 */
export async function prepareSrs(logDomainSize: number): Promise<void> {
  await loadO1js();
  const bindings = (await import(pathToFileURL(path.join(o1jsDistDir(), 'bindings.js')).href)) as O1jsInternals;
  const helpers = (globalThis as { __snarkyTsBindings?: { srs(wasm: unknown): { fp: { addLagrangeBasis(srs: unknown, log: number): void } } } }).__snarkyTsBindings;
  await bindings.withThreadPool(async () => {
    const srs = bindings.Pickles.loadSrsFp();
    helpers?.srs(bindings.wasm).fp.addLagrangeBasis(srs, logDomainSize);
  });
}

/** log2 of the domain size of a serialised ZkFunction verification key (its `domain` field). */
export function verificationKeyLogDomain(data: string): number {
  const index = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { domain: string };
  return Buffer.from(index.domain.slice(16, 24), 'hex').readUInt32LE(0);
}

/** `node_modules/o1js/dist/node` (its package exports hide the files under it). */
function o1jsDistDir(): string {
  return path.dirname(require.resolve('o1js'));
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
