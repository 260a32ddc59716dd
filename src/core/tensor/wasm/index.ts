import { batchMatMulFix } from './batchMatMul';
import { conv2DBackpropFilterFix } from './conv2DBackpropFilter';
import { depthwiseConv2dNativeBackpropFilterFix } from './depthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputFix } from './depthwiseConv2dNativeBackpropInput';
import { fusedMatMulFix } from './fusedMatMul';
import { registerFix, unregisterFix, type WasmKernelFix } from './kernelFix';
import { unsortedSegmentSumFix } from './unsortedSegmentSum';

/** Every kernel this project registers on the wasm backend (see each file for why). */
export const WASM_KERNEL_FIXES: readonly WasmKernelFix[] = [
  batchMatMulFix,
  fusedMatMulFix,
  conv2DBackpropFilterFix,
  depthwiseConv2dNativeBackpropFilterFix,
  depthwiseConv2dNativeBackpropInputFix,
  unsortedSegmentSumFix,
];

/** Registers all fixes on the wasm backend (idempotent); returns their kernel names. */
export function registerWasmKernelFixes(): string[] {
  return WASM_KERNEL_FIXES.map(registerFix);
}

/** Restores the stock wasm kernels; for benchmarks that compare stock against patched. */
export function unregisterWasmKernelFixes(): void {
  for (const fix of WASM_KERNEL_FIXES) unregisterFix(fix);
}
