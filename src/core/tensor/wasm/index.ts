import { batchMatMulFix } from './batchMatMul';
import { conv2DBackpropFilterFix } from './conv2DBackpropFilter';
import { conv2DBackpropInputFix } from './conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterFix } from './depthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputFix } from './depthwiseConv2dNativeBackpropInput';
import { fusedMatMulFix } from './fusedMatMul';
import { registerFix, unregisterFix, type WasmKernelFix } from './kernelFix';
import { meanFix } from './mean';
import { sumFix } from './sum';
import { unsortedSegmentSumFix } from './unsortedSegmentSum';

/** Every kernel this project registers on the wasm backend (see each file for why). */
export const WASM_KERNEL_FIXES: readonly WasmKernelFix[] = [
  batchMatMulFix,
  fusedMatMulFix,
  conv2DBackpropFilterFix,
  conv2DBackpropInputFix,
  depthwiseConv2dNativeBackpropFilterFix,
  depthwiseConv2dNativeBackpropInputFix,
  unsortedSegmentSumFix,
  sumFix,
  meanFix,
];

/** Registers all fixes on the wasm backend (idempotent); returns their kernel names. */
export function registerWasmKernelFixes(): string[] {
  return WASM_KERNEL_FIXES.map(registerFix);
}

/** Restores the stock wasm kernels; for benchmarks that compare stock against patched. */
export function unregisterWasmKernelFixes(): void {
  for (const fix of WASM_KERNEL_FIXES) unregisterFix(fix);
}
