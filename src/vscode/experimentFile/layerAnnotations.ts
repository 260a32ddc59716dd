import { findNodeAtLocation, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { classMappingText } from '../../core/data/classNames';
import { layerName } from '../../core/experiment/layerName';
import type { LayerInfo, RunEvent } from '../../core/train/events';
import { formatCount, formatSaving } from '../../panels/shared/format';
import { md } from '../util/markdown';
import { timelineRunFromEvents, type TimelineRunStatus } from '../../panels/timeline/viewModel';

/**
 * What to show next to each entry of `model.layers` in an experiment file, from the events of
 * that file's latest run. Pure (document text + events in, annotations out) so it is tested
 * without VS Code; the inlay-hint, CodeLens and hover providers only translate offsets.
 */
export type LayerState = 'frozen' | 'training' | 'trained' | 'stopped';

export interface LayerAnnotation {
  /** Index in `model.layers`. */
  index: number;
  name: string;
  state: LayerState;
  /** Offsets of the layer's object in the document (the hint goes after `end`). */
  start: number;
  end: number;
  /** One line, e.g. "❄ frozen at epoch 5 (step 225) · 31% saved" (of each step's backward FLOPs, as the hover says). */
  label: string;
  /**
   * The same line in short parts (`label` = parts joined by " · "): VS Code cuts an inlay hint
   * after `editor.inlayHints.maximumLength` (43) characters, so each part becomes its own hint.
   */
  parts: string[];
  /** Markdown details for the hover. */
  details: string;
}

export interface RunRef {
  runId: string;
  runDir: string;
  /** The run store's status (knows a killed run from a live one). */
  status?: TimelineRunStatus;
}

/** Offsets of each `model.layers` entry (or of the list at `at`, e.g. a distill student's) (objects only) with the name the run knows it by. */
export function findLayerNodes(text: string, at: string[] = ['model', 'layers']): { index: number; name: string; start: number; end: number }[] {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return [];
  const layers = findNodeAtLocation(root, at);
  if (!layers || layers.type !== 'array' || !layers.children) return [];
  const out: { index: number; name: string; start: number; end: number }[] = [];
  layers.children.forEach((node: Node, index) => {
    if (node.type !== 'object') return;
    const name = stringProp(node, 'name');
    const type = stringProp(node, 'type');
    if (type === undefined && name === undefined) return;
    out.push({ index, name: layerName({ name, type: (type ?? 'layer') as never }, index), start: node.offset, end: node.offset + node.length });
  });
  return out;
}

function stringProp(obj: Node, key: string): string | undefined {
  const prop = obj.children?.find((p) => p.children?.[0]?.value === key);
  const valueNode = prop?.children?.[1];
  if (!valueNode) return undefined;
  const v = getNodeValue(valueNode);
  return typeof v === 'string' ? v : undefined;
}

export function layerAnnotations(text: string, run: RunRef, events: readonly RunEvent[]): LayerAnnotation[] {
  const timeline = timelineRunFromEvents(run, events, run.status);
  const start = [...events].reverse().find((e): e is Extract<RunEvent, { type: 'start' }> => e.type === 'start');
  if (!start) return [];
  const infoByName = new Map<string, LayerInfo>(start.layers.map((l) => [l.name, l]));
  const layerByName = new Map(timeline.layers.map((l) => [l.name, l]));
  const freezeByName = new Map(
    events.filter((e): e is Extract<RunEvent, { type: 'freeze' }> => e.type === 'freeze').map((e) => [e.layer, e]),
  );
  const running = timeline.status === 'running';
  const out: LayerAnnotation[] = [];
  for (const node of findLayerNodes(text)) {
    const layer = layerByName.get(node.name);
    // A layer the run does not know (renamed or added since): say nothing rather than guess.
    if (!layer) continue;
    const info = infoByName.get(node.name);
    const freeze = freezeByName.get(node.name);
    let state: LayerState;
    let parts: string[];
    if (layer.frozenAtStep !== undefined) {
      state = 'frozen';
      const where = `❄ frozen at epoch ${layer.frozenAtEpoch} (step ${layer.frozenAtStep})`;
      // A weightless layer has no freeze event of its own: it follows the unit before it.
      // Short: VS Code cuts a line's inlay hints at 43 characters; the hover says what was saved.
      parts = freeze ? [where, `${formatSaving(freeze.stepSaving.backward)} saved`] : [where];
    } else if (running) {
      state = 'training';
      parts = [`● training · epoch ${Math.min(timeline.epochsDone + 1, timeline.epochs)}/${timeline.epochs}`];
    } else if (timeline.status === 'completed') {
      state = 'trained';
      parts = [`trained all ${timeline.epochs} epochs`];
    } else {
      state = 'stopped';
      parts = [`trained ${timeline.epochsDone}/${timeline.epochs} epochs (run ${timeline.status})`];
    }
    const label = parts.join(' · ');
    // Every value comes from the run folder or the file: `md` shows it as text.
    const lines = [md`**${node.name}** · ${layer.type} · ${formatCount(layer.params)} trainable parameters`, ''];
    if (info) lines.push(md`FLOPs per example: ${formatCount(info.flopsForward)} forward, ${formatCount(info.flopsBackward)} backward`, '');
    if (start.classNames && node.name === start.layers[start.layers.length - 1]?.name) {
      lines.push(md`One output per class: ${classMappingText(start.classNames)}`, '');
    }
    if (layer.frozenAtStep !== undefined) {
      lines.push(md`Frozen at epoch ${layer.frozenAtEpoch}, step ${layer.frozenAtStep} of ${timeline.totalSteps}.`);
      if (layer.reason) lines.push('', md`Why: ${layer.reason}`);
      if (freeze) {
        lines.push('', md`From then on each step skips ${formatSaving(freeze.stepSaving.backward)} of the backward FLOPs and ${formatSaving(freeze.stepSaving.forward)} of the forward FLOPs.`);
      }
    } else {
      lines.push(running ? 'Still training.' : 'Never frozen: trained until the run ended.');
    }
    lines.push('', md`Run ${timeline.runId} · policy **${timeline.policy}** · ${timeline.status}`);
    out.push({ index: node.index, name: node.name, state, start: node.start, end: node.end, label, parts, details: lines.join('\n') });
  }
  return out;
}

