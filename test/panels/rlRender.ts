/** Compiles a Vega-Lite spec and renders it with vega's expression interpreter (as the webviews do, no eval). */
export async function renderSvg(spec: unknown): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const { expressionInterpreter } = await import('vega-interpreter');
  const view = new vega.View(vega.parse(compile(spec as never).spec, undefined, { ast: true }), { expr: expressionInterpreter as never, renderer: 'none' });
  return view.toSVG();
}
