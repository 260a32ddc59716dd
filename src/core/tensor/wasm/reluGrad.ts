import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { reluGradThreaded } from './threads';

/** A kernel of this project's own (tfjs has none): dx = x > 0 ? dy : 0. */
export const RELU_GRAD = 'ModelLabReluGrad';

/**
 * ReLU's gradient as one SIMD pass. tfjs defines it as `dy * cast(step(x))`: three kernels and
 * two temporaries the size of the activation (9 ms per step on the reference CNN's first layer).
 */
export const reluGradKernel: WasmKernelFix = {
  kernelName: RELU_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const dx = backend.makeOutput(x.shape, 'float32');
      reluGradThreaded(backend, heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, dx), tf.util.sizeFromShape(x.shape));
      return dx;
    };
  },
};

/** Remembers the gradient config it replaced (see `kernelFix.ts` for why on the registry entry). */
const STOCK_GRADIENT = Symbol.for('model-lab.wasm.stockReluGradient');

type ReluGradConfig = tf.GradConfig & { [STOCK_GRADIENT]?: tf.GradConfig };

/**
 * Routes Relu's gradient to `RELU_GRAD` when the active backend has it (float32), else to
 * tfjs's own gradient. Gradients are registered per kernel for all backends, hence the check.
 */
export function registerReluGradient(): void {
  const current = tf.getGradient('Relu') as ReluGradConfig | undefined;
  if (!current || STOCK_GRADIENT in current) return;
  const config: ReluGradConfig = {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      if (x.dtype !== 'float32' || d.dtype !== 'float32' || tf.getKernel(RELU_GRAD, tf.getBackend()) == null) {
        return current.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: d, x }) as tf.Tensor };
    },
    [STOCK_GRADIENT]: current,
  };
  tf.registerGradient(config);
}

export function unregisterReluGradient(): void {
  const current = tf.getGradient('Relu') as ReluGradConfig | undefined;
  const stock = current?.[STOCK_GRADIENT];
  if (stock) tf.registerGradient(stock);
}
