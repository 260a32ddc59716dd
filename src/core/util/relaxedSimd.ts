import { setFlagsFromString } from 'node:v8';

/**
 * Whether this runtime can run `bytes`, a module built with relaxed SIMD (our matrix products'
 * fused multiply-add builds). V8 ships relaxed SIMD from 11.4 (Electron, Chrome, Node 22); Node
 * 20's V8 11.3 has it behind `--experimental-wasm-relaxed-simd`, which we turn on when needed (it
 * only widens what WebAssembly validates). `MODEL_LAB_WASM_FMA=0` says no, forcing the plain builds.
 */
export function acceptsRelaxedSimd(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (process.env.MODEL_LAB_WASM_FMA === '0') return false;
  if (WebAssembly.validate(bytes)) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    return WebAssembly.validate(bytes);
  } catch {
    return false; // a runtime that refuses flags: the plain build it is
  }
}
