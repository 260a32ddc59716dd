import { adamStepKernel } from './adam';
import { batchMatMulFix } from './batchMatMul';
import { conv2DFix, fusedConv2DFix } from './conv2D';
import { convPoolExpandKernel, convPoolGradKernel, convPoolKernel, registerConvPoolGradients } from './convPool';
import { conv2DBackpropFilterFix } from './conv2DBackpropFilter';
import { conv2DBackpropInputFix } from './conv2DBackpropInput';
import { denseStackGradsKernel } from './denseStack';
import { depthwiseConv2dNativeBackpropFilterFix } from './depthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputFix } from './depthwiseConv2dNativeBackpropInput';
import { biasActivationGradKernel, col2imKernel, convLayerKernel, denseLayerKernel, im2colKernel, registerFusedLayerGradients } from './fusedLayers';
import { fusedMatMulFix } from './fusedMatMul';
import { gatherV2Fix } from './gatherV2';
import { identityFix } from './identity';
import { registerFix, unregisterFix, type WasmKernelFix } from './kernelFix';
import { maxPoolFix, maxPoolGradFix } from './maxPoolGrad';
import { meanFix } from './mean';
import { registerReluGradient, reluGradKernel, unregisterReluGradient } from './reluGrad';
import { simdKernelsPath } from './simdKernels';
import { sliceFix } from './slice';
import { registerSoftmaxCrossEntropyGradient, softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from './softmaxCrossEntropy';
import { sumFix } from './sum';
import { unsortedSegmentSumFix } from './unsortedSegmentSum';
import {
  registerWinogradGradients, winogradConvKernel, winogradConvPoolKernel, winogradDataGradKernel, winogradFilterGradKernel, winogradInputGradKernel,
  winogradInputKernel, winogradOutputGradKernel, winogradOutputGradPoolKernel,
} from './winogradConv';

/** Every kernel this project registers on the wasm backend (see each file for why). */
export const WASM_KERNEL_FIXES: readonly WasmKernelFix[] = [
  batchMatMulFix,
  fusedMatMulFix,
  conv2DFix,
  fusedConv2DFix,
  conv2DBackpropFilterFix,
  conv2DBackpropInputFix,
  depthwiseConv2dNativeBackpropFilterFix,
  depthwiseConv2dNativeBackpropInputFix,
  unsortedSegmentSumFix,
  gatherV2Fix,
  sliceFix,
  identityFix,
  sumFix,
  meanFix,
  maxPoolGradFix,
  maxPoolFix,
  reluGradKernel,
  adamStepKernel,
  denseLayerKernel,
  convLayerKernel,
  im2colKernel,
  col2imKernel,
  biasActivationGradKernel,
  softmaxCrossEntropyKernel,
  softmaxCrossEntropyGradKernel,
  winogradInputKernel,
  winogradInputGradKernel,
  winogradConvKernel,
  winogradOutputGradKernel,
  winogradDataGradKernel,
  winogradFilterGradKernel,
  winogradConvPoolKernel,
  winogradOutputGradPoolKernel,
  convPoolKernel,
  convPoolGradKernel,
  convPoolExpandKernel,
  denseStackGradsKernel,
];

/**
 * Registers all fixes on the wasm backend (idempotent); returns their kernel names. The SIMD
 * ones only when `dist/simdKernels.wasm` was built (otherwise the stock kernels stay).
 */
export function registerWasmKernelFixes(): string[] {
  const simd = simdKernelsPath() !== undefined;
  const names = WASM_KERNEL_FIXES.filter((f) => simd || !f.simd).map(registerFix);
  if (simd) {
    registerReluGradient();
    registerFusedLayerGradients();
    registerWinogradGradients();
    registerConvPoolGradients();
  }
  registerSoftmaxCrossEntropyGradient();
  return names;
}

/** Restores the stock wasm kernels; for benchmarks that compare stock against patched. */
export function unregisterWasmKernelFixes(): void {
  for (const fix of WASM_KERNEL_FIXES) unregisterFix(fix);
  unregisterReluGradient();
}
