import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Kimchi, o1js's Rust prover compiled to wasm, used directly: verifying a proof needs only
 * this module (15 MB of wasm, ~0.1 s to load) and o1js's pure-JS Poseidon, not o1js itself
 * (its 40 MB OCaml bundle takes ~2 s of CPU to load). The functions used are the ones o1js's
 * own bindings call (`caml_*` of kimchi_wasm); both sides share one module instance and one
 * thread pool, so the prover hook in o1js.ts and the verifier below see the same objects.
 */
export interface KimchiWasm {
  caml_fp_srs_create_parallel(size: number): Srs;
  caml_fp_srs_get(srs: Srs): Uint32Array;
  caml_fp_srs_set(hAndGs: Uint32Array): Srs;
  caml_fp_srs_get_lagrange_basis(srs: Srs, domainSize: number): Uint32Array;
  caml_fp_srs_set_lagrange_basis(srs: Srs, domainSize: number, bases: Uint32Array): void;
  caml_pasta_fp_plonk_index_create(...args: unknown[]): unknown;
  caml_pasta_fp_plonk_index_domain_d1_size(index: unknown): number;
  caml_pasta_fp_plonk_verifier_index_deserialize(srs: Srs, index: string): unknown;
  caml_pasta_fp_plonk_proof_verify(index: unknown, proof: WasmProof): boolean;
  WasmFpProverProof: { deserialize(bytes: Uint8Array): WasmProof };
}
/** An SRS object inside the wasm module. */
export type Srs = { readonly __srs: unique symbol };
interface WasmProof {
  serialize(): string;
  public_: Uint8Array;
}

export interface Kimchi {
  wasm: KimchiWasm;
  /** Runs `run` with kimchi's rayon thread pool started (its MSMs and SRS derivation need it). */
  withThreadPool<T>(run: () => Promise<T>): Promise<T>;
}

let loading: Promise<Kimchi> | undefined;

export function loadKimchi(): Promise<Kimchi> {
  loading ??= import(distUrl('bindings', 'js', 'node', 'node-backend.js')) as Promise<Kimchi>;
  return loading;
}

let poseidon: Promise<(xs: bigint[]) => bigint> | undefined;

/** o1js's Kimchi Poseidon over bigints (the hash its circuits use), without loading o1js. */
export function loadPoseidon(): Promise<(xs: bigint[]) => bigint> {
  poseidon ??= (import(distUrl('bindings', 'crypto', 'poseidon.js')) as Promise<{ Poseidon: { hash(xs: bigint[]): bigint } }>)
    .then(({ Poseidon }) => (xs) => Poseidon.hash(xs));
  return poseidon;
}

const derived = new Map<number, Srs>();

/**
 * The SRS of 2^logSize points, derived the way kimchi derives every SRS (point i is hashed to
 * the curve from i alone; no trusted setup): so it is the first 2^logSize points of o1js's
 * 2^16-point SRS. Must run inside the thread pool. ~0.4 s of CPU for 2^13.
 */
export function deriveSrs(k: Kimchi, logSize: number): Srs {
  let srs = derived.get(logSize);
  if (!srs) {
    srs = k.wasm.caml_fp_srs_create_parallel(2 ** logSize);
    derived.set(logSize, srs);
  }
  return srs;
}

/** The order of the Pasta Fp field (Pallas's base field), where Kimchi's public inputs live. */
const FP_MODULUS = 0x40000000000000000000000000000000224698fc094cf91b992d30ed00000001n;

/** A field element as kimchi's wasm takes it: 32 bytes, little-endian. */
function fieldBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

/** A point as o1js writes its Lagrange-basis cache: decimal coordinates. */
export interface JsonPoint { x: string; y: string }

const lagrangeSet = new WeakSet<object>();

/**
 * Verifies a Kimchi proof (o1js's serialisation) against a verification key (o1js's base64 of
 * kimchi's JSON verifier index) and the public input, on the SRS of the key's own domain.
 * The public input is taken from the caller, never from the proof. `lagrange` are the
 * commitments to the domain's first Lagrange polynomials (one per public input): the verifier
 * uses only those to commit to the public input, so computing the whole basis (seconds) is
 * not needed. Returns a reason when the proof does not verify.
 */
export async function verifyKimchi(a: {
  verificationKey: string;
  proof: string;
  publicInput: bigint[];
  lagrange: JsonPoint[];
}): Promise<string | undefined> {
  const index = JSON.parse(Buffer.from(a.verificationKey, 'base64').toString('utf8')) as { max_poly_size?: number; public?: number };
  const logSize = verificationKeyLogDomain(a.verificationKey);
  if (index.max_poly_size !== 2 ** logSize) return `the verification key is for an SRS of ${index.max_poly_size} points, not its domain's ${2 ** logSize}`;
  if (index.public !== a.publicInput.length || a.lagrange.length < a.publicInput.length) return 'the verification key has another number of public inputs';
  if (a.publicInput.some((x) => x < 0n || x >= FP_MODULUS)) return 'a public input is not an element of the field';
  const k = await loadKimchi();
  const { getRustConversion } = (await import(distUrl('bindings', 'crypto', 'bindings.js'))) as { getRustConversion(w: unknown): RustConversion };
  const { OrInfinity } = (await import(distUrl('bindings', 'crypto', 'bindings', 'curve.js'))) as { OrInfinity: { fromJSON(p: JsonPoint): unknown } };
  const { wasm } = k;
  let proof: WasmProof;
  try {
    proof = wasm.WasmFpProverProof.deserialize(Uint8Array.from(Buffer.from(a.proof, 'base64')));
  } catch {
    return 'proof.json does not hold a proof';
  }
  // One encoding per proof: the decoder accepts some byte changes (e.g. unreduced field
  // elements) as the same proof, so a proof that does not re-encode to itself is refused.
  if (proof.serialize() !== a.proof) return 'proof.json is not a canonical encoding of a proof';
  const publicInput = new Uint8Array(32 * a.publicInput.length);
  a.publicInput.forEach((x, i) => publicInput.set(fieldBytes(x), 32 * i));
  proof.public_ = publicInput;
  return k.withThreadPool(async () => {
    const srs = deriveSrs(k, logSize);
    if (!lagrangeSet.has(srs as object)) {
      // o1js's OCaml-side representation of PolyComm arrays: [0, ...[0, [0, ...points]]].
      const comms = [0, ...a.lagrange.map((p) => [0, [0, OrInfinity.fromJSON(p)]])];
      wasm.caml_fp_srs_set_lagrange_basis(srs, 2 ** logSize, getRustConversion(wasm).fp.polyCommsToRust(comms));
      lagrangeSet.add(srs as object);
    }
    try {
      const verifierIndex = wasm.caml_pasta_fp_plonk_verifier_index_deserialize(srs, Buffer.from(a.verificationKey, 'base64').toString('utf8'));
      return wasm.caml_pasta_fp_plonk_proof_verify(verifierIndex, proof) ? undefined : 'the proof does not verify against this claim';
    } catch (e) {
      return `the proof does not verify: ${e instanceof Error ? e.message.split('\n')[0] : 'malformed proof'}`;
    }
  });
}

interface RustConversion { fp: { polyCommsToRust(comms: unknown): Uint32Array } }

/** log2 of the domain size of a serialised verification key (its `domain` field). */
export function verificationKeyLogDomain(data: string): number {
  const index = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { domain: string };
  return Buffer.from(index.domain.slice(16, 24), 'hex').readUInt32LE(0);
}

function distUrl(...parts: string[]): string {
  return pathToFileURL(path.join(o1jsDistDir(), ...parts)).href;
}

/** `node_modules/o1js/dist/node` (its package exports hide the files under it). */
export function o1jsDistDir(): string {
  return path.dirname(require.resolve('o1js'));
}
