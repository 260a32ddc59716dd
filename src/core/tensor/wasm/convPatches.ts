import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeInfos, runWasmKernel } from './kernelCall';

/**
 * Building blocks for the depthwise convolution gradients, expressed with kernels wasm has, and
 * the NHWC/NCHW transposes the conv2d kernels use.
 *
 * A convolution reads, for every filter offset (i, j), a strided window of the padded input:
 * `window(i, j) = xPadded[:, i*dh + oh*sh, j*dw + ow*sw, :]` for all output positions (oh, ow).
 * Filter gradients contract these windows with dy; the input gradient scatters dy back into
 * them (the adjoint). Both are a handful of Slice/Pad/Concat/MatMul calls per filter offset,
 * so the arithmetic runs in wasm (the SIMD matrix product) instead of JavaScript loops.
 */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  /** Height/width of the padded input: covers every window, including the last stride's tail. */
  paddedHeight: number;
  paddedWidth: number;
}

/** Geometry of an NHWC convolution, from tfjs's own conv-info computation (same padding rules). */
export function convGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: tf.backend_util.ExplicitPadding | 'valid' | 'same' | number,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape, filterShape, strides, dilations, pad, dimRoundingMode, depthwise, 'channelsLast');
  const { padInfo } = info;
  const span = (out: number, stride: number, filter: number, dilation: number) =>
    (filter - 1) * dilation + out * stride;
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: padInfo.top,
    padLeft: padInfo.left,
    paddedHeight: Math.max(info.inHeight + padInfo.top + padInfo.bottom,
      span(info.outHeight, info.strideHeight, info.filterHeight, info.dilationHeight), info.inHeight + padInfo.top),
    paddedWidth: Math.max(info.inWidth + padInfo.left + padInfo.right,
      span(info.outWidth, info.strideWidth, info.filterWidth, info.dilationWidth), info.inWidth + padInfo.left),
  };
}

/** Zero-pads an NHWC input to the geometry's padded size. */
export function padInput(backend: BackendWasm, x: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const paddings = [
    [0, 0],
    [g.padTop, g.paddedHeight - g.inHeight - g.padTop],
    [g.padLeft, g.paddedWidth - g.inWidth - g.padLeft],
    [0, 0],
  ];
  return runWasmKernel(backend, 'PadV2', { x }, { paddings, constantValue: 0 });
}

/** The [N, outH, outW, C] window of a padded input that filter offset (i, j) reads. */
export function windowAt(backend: BackendWasm, xPadded: tf.TensorInfo, g: ConvGeometry, i: number, j: number): tf.TensorInfo {
  const top = i * g.dilationHeight;
  const left = j * g.dilationWidth;
  if (g.strideHeight === 1 && g.strideWidth === 1) {
    return runWasmKernel(backend, 'Slice', { x: xPadded }, {
      begin: [0, top, left, 0],
      size: [g.batch, g.outHeight, g.outWidth, g.channels],
    });
  }
  return runWasmKernel(backend, 'StridedSlice', { x: xPadded }, {
    begin: [0, top, left, 0],
    end: [g.batch, top + (g.outHeight - 1) * g.strideHeight + 1, left + (g.outWidth - 1) * g.strideWidth + 1, g.channels],
    strides: [1, g.strideHeight, g.strideWidth, 1],
    beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
  });
}

/**
 * The adjoint of `windowAt`: places a [N, outH, outW, C] tensor at the positions filter offset
 * (i, j) reads, zeros elsewhere, in a tensor of the padded input's size.
 */
export function placeWindowAt(backend: BackendWasm, values: tf.TensorInfo, g: ConvGeometry, i: number, j: number): tf.TensorInfo {
  let spread = values;
  if (g.strideHeight > 1 || g.strideWidth > 1) {
    // Interleave zeros: [N,oh,1,ow,1,C] padded to [N,oh,sh,ow,sw,C] is row oh*sh, column ow*sw.
    const expanded = runWasmKernel(backend, 'Reshape', { x: values }, {
      shape: [g.batch, g.outHeight, 1, g.outWidth, 1, g.channels],
    });
    const interleaved = runWasmKernel(backend, 'PadV2', { x: expanded }, {
      paddings: [[0, 0], [0, 0], [0, g.strideHeight - 1], [0, 0], [0, g.strideWidth - 1], [0, 0]],
      constantValue: 0,
    });
    spread = runWasmKernel(backend, 'Reshape', { x: interleaved }, {
      shape: [g.batch, g.outHeight * g.strideHeight, g.outWidth * g.strideWidth, g.channels],
    });
    disposeInfos(backend, expanded, interleaved);
  }
  const top = i * g.dilationHeight;
  const left = j * g.dilationWidth;
  const placed = runWasmKernel(backend, 'PadV2', { x: spread }, {
    paddings: [
      [0, 0],
      [top, g.paddedHeight - top - spread.shape[1]],
      [left, g.paddedWidth - left - spread.shape[2]],
      [0, 0],
    ],
    constantValue: 0,
  });
  if (spread !== values) disposeInfos(backend, spread);
  return placed;
}

/** Cuts the unpadded [N, H, W, C] input region out of a padded-size tensor. */
export function unpad(backend: BackendWasm, xPadded: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  return runWasmKernel(backend, 'Slice', { x: xPadded }, {
    begin: [0, g.padTop, g.padLeft, 0],
    size: [g.batch, g.inHeight, g.inWidth, g.channels],
  });
}

/** NCHW -> NHWC (and back with `toChannelsFirst`), for kernels called with dataFormat NCHW. */
export function toChannelsLast(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  return runWasmKernel(backend, 'Transpose', { x }, { perm: [0, 2, 3, 1] });
}

export function toChannelsFirst(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  return runWasmKernel(backend, 'Transpose', { x }, { perm: [0, 3, 1, 2] });
}
