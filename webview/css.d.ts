/** esbuild loads `.css` imports as text (see scripts/build.mjs); the webview injects it with its nonce. */
declare module '*.css' {
  const text: string;
  export default text;
}
