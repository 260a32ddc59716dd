/** Dense float64 matrices as views into flat arrays: the operands of `denseProduct.ts` and its wasm kernel. */

export interface MatrixView {
  data: Float64Array;
  /** Index of entry (0, 0). */
  offset: number;
  /** Distance between consecutive rows; entries of a row are contiguous. */
  rowStride: number;
}

export interface OutputView {
  data: Float64Array;
  offset: number;
  /** out(i, j) is data[offset + i*rowStride + j*colStride]. */
  rowStride: number;
  colStride: number;
}
