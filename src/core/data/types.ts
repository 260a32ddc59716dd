/** One split of a classification dataset, examples stored row-major in one flat typed array. */
export interface Split {
  /** `count * prod(exampleShape)` values: float32 features, or int32 token ids for text. */
  x: Float32Array | Int32Array;
  /** Class index per example, in [0, numClasses). */
  y: Int32Array;
  count: number;
}

export interface LoadedData {
  train: Split;
  test: Split;
  /** Shape of one example (e.g. [64], [28, 28, 1], [maxLength]). */
  exampleShape: number[];
  xDtype: 'float32' | 'int32';
  numClasses: number;
  /** Class names when the labels are text (CSV or JSONL; index = class), sorted. */
  classNames?: string[];
  /** Token vocabulary for text data (index = token id; 0 = [PAD], 1 = [UNK]). */
  vocab?: string[];
}
