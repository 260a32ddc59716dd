/**
 * vega-lite 6 publishes its types only through `exports`, which this project's
 * `moduleResolution: node` does not read; point the bare specifier at them.
 */
declare module 'vega-lite' {
  export * from 'vega-lite/build/index';
}
