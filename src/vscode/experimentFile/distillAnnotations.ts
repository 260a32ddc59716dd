import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import type { DistillArmView, DistillView } from '../../panels/distill/viewModel';
import { formatCount, formatPercent } from '../../panels/shared/format';
import { md } from '../util/markdown';
import { findLayerNodes } from './layerAnnotations';

/**
 * What a distill run shows inline (issue 14), pure (document text + the run's view in,
 * annotations out) so it is tested without VS Code; the providers in `annotationProviders.ts`
 * place them as inlay hints (or CodeLenses) with the details as hovers:
 * - in the distill experiment file, on each student layer: `⇐ teacher layer k (name)` and the
 *   final loss of each arm that matched it (the hidden-state MSE of a TinyBERT pair; the KD
 *   loss on the output layer); on each arm: its accuracy and, for data-free arms, the mean
 *   batch-norm gap of its synthetic set; on `teacher`: its accuracy;
 * - in the teacher's experiment file, on each batch-norm layer: each data-free arm's gap of the
 *   batch mean and variance to that layer's running statistics after synthesis.
 */
export interface FileAnnotation {
  name: string;
  start: number;
  end: number;
  /** One line: `parts` joined by " · ". */
  label: string;
  /** Short parts (VS Code cuts an inlay hint after 43 characters: one hint each). */
  parts: string[];
  /** Markdown for the hover (every value escaped). */
  details: string;
}

const MAX_PART = 43;
const KD_STAGES = ['prediction', 'distillation', 'supervised'];

/** A loss for people: 3 significant digits, exponent form when tiny or huge. */
export function formatLoss(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** A batch-norm gap inline: two significant digits (the hover has three). */
export function formatGap(v: number): string {
  return v === 0 ? '0' : Math.abs(v) < 0.01 || Math.abs(v) >= 1000 ? v.toExponential(0) : String(Number(v.toPrecision(2)));
}

const cut = (s: string) => (s.length <= MAX_PART ? s : `${s.slice(0, MAX_PART - 1)}…`);

function annotation(name: string, node: { start: number; end: number }, parts: string[], details: string[]): FileAnnotation {
  const p = parts.map(cut);
  return { name, start: node.start, end: node.end, label: p.join(' · '), parts: p, details: details.join('\n') };
}

/** The last loss of an arm's output (its KD or label loss) and the stage it came from. */
function outputLoss(arm: DistillArmView): { stage: string; value: number } | undefined {
  for (const stage of KD_STAGES) {
    const v = arm.finalLosses[stage]?.loss;
    if (v !== undefined) return { stage, value: v };
  }
  return undefined;
}

/** 1-based position of a teacher layer in the teacher's layer list (what "teacher layer k" counts). */
function teacherIndex(view: DistillView, name: string): number | undefined {
  const i = view.teacher?.layers.findIndex((l) => l.name === name) ?? -1;
  return i < 0 ? undefined : i + 1;
}

function runLine(view: DistillView): string {
  return md`Run ${view.runId} · ${view.status}`;
}

export function distillFileAnnotations(text: string, view: DistillView): FileAnnotation[] {
  const out: FileAnnotation[] = [];
  const arms = view.arms.filter((a) => a.name !== 'general');
  const studentLayers = view.student?.layers ?? [];
  const outputName = studentLayers[studentLayers.length - 1]?.name;
  const teacherOutput = view.teacher?.layers[view.teacher.layers.length - 1]?.name;

  for (const node of findLayerNodes(text, ['student', 'layers'])) {
    const info = studentLayers.find((l) => l.name === node.name);
    if (!info) continue;
    const parts: string[] = [];
    const lines = [md`**${node.name}** · ${info.type} · ${formatCount(info.params)} parameters`, ''];
    // Layer-wise pairs (TinyBERT arms): which teacher layer, and each arm's final pair loss.
    const pairs = arms.flatMap((a) => (a.layerMap ?? []).filter((m) => m.student === node.name).map((m) => ({ arm: a, teacher: m.teacher })));
    const isOutput = node.name === outputName && teacherOutput !== undefined;
    const target = pairs[0]?.teacher ?? (isOutput ? teacherOutput : undefined);
    if (target) {
      const k = teacherIndex(view, target);
      parts.push(k === undefined ? `⇐ teacher ${target}` : `⇐ teacher layer ${k} (${target})`);
      lines.push(md`Learns from teacher layer ${k ?? '?'} (**${target}**)${isOutput && pairs.length === 0 ? ' through its predictions (KD on the logits)' : ''}.`, '');
    }
    // VS Code cuts a line's inlay hints after ~43 characters: the losses go in one short part
    // (in the arms' order), the hover says which arm each is.
    const mse: string[] = [];
    for (const { arm } of pairs) {
      const v = arm.finalLosses.intermediate?.[`hidden:${node.name}`] ?? arm.finalLosses.general?.[`hidden:${node.name}`];
      if (v === undefined) continue;
      mse.push(formatLoss(v));
      lines.push(md`- ${arm.name}: hidden-state MSE ${formatLoss(v)} (last of the intermediate stage)`);
    }
    if (mse.length > 0) parts.push(`MSE ${mse.join('/')}`);
    if (isOutput) {
      const kd: string[] = [];
      for (const arm of arms) {
        const l = outputLoss(arm);
        if (!l) continue;
        if (l.stage !== 'supervised') kd.push(formatLoss(l.value));
        lines.push(md`- ${arm.name}: ${l.stage === 'supervised' ? 'label cross-entropy' : 'KD soft cross-entropy'} ${formatLoss(l.value)} (last of the ${l.stage} stage)${arm.state === 'done' ? '' : ', still training'}`);
      }
      if (kd.length > 0) parts.push(`KD ${kd.join('/')}`);
    }
    if (parts.length === 0) continue;
    lines.push('', runLine(view));
    out.push(annotation(node.name, node, parts, lines));
  }

  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const armNodes = root ? findNodeAtLocation(root, ['arms']) : undefined;
  (armNodes?.type === 'array' ? armNodes.children ?? [] : []).forEach((node: Node) => {
    const name = armName(node);
    const arm = arms.find((a) => a.name === name);
    if (!arm) return;
    const parts: string[] = [];
    const lines = [md`**${arm.name}** · ${arm.method} · ${arm.state}`, ''];
    if (arm.accuracy !== undefined) {
      // Short: several arms often share a line.
      parts.push(formatPercent(arm.accuracy));
      lines.push(md`Test accuracy ${formatPercent(arm.accuracy)}${view.teacher?.accuracy ? ` (${formatPercent(arm.accuracy / view.teacher.accuracy)} of the teacher's)` : ''}.`);
    } else if (arm.state === 'running') {
      parts.push('● training');
    }
    const gaps = arm.batchNorm ?? [];
    if (gaps.length > 0) {
      const mean = (f: (g: (typeof gaps)[number]) => number | undefined) => {
        const xs = gaps.map(f).filter((x): x is number => x !== undefined);
        return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
      };
      parts.push(`BN μ ${formatGap(mean((g) => g.mean)!)} σ² ${formatGap(mean((g) => g.variance)!)}`);
      lines.push('', 'Batch-norm statistics of the synthetic set against the teacher\'s running ones (relative RMS gap; noise in brackets):');
      for (const g of gaps) lines.push(md`- ${g.layer}: mean ${formatLoss(g.mean)}${g.meanBefore !== undefined ? ` (${formatLoss(g.meanBefore)})` : ''}, variance ${formatLoss(g.variance)}${g.varianceBefore !== undefined ? ` (${formatLoss(g.varianceBefore)})` : ''}`);
    }
    if (parts.length === 0) return;
    lines.push('', runLine(view));
    out.push(annotation(arm.name, { start: node.offset, end: node.offset + node.length }, parts, lines));
  });

  const teacherNode = root ? findNodeAtLocation(root, ['teacher']) : undefined;
  if (teacherNode && view.teacher?.accuracy !== undefined) {
    const t = view.teacher;
    const parts = [`teacher ${formatPercent(t.accuracy!)}`, `${formatCount(t.parameters)} params`];
    const lines = [md`**Teacher** · ${formatCount(t.parameters)} parameters · test accuracy ${formatPercent(t.accuracy!)}${t.msPerExample !== undefined ? ` · ${t.msPerExample.toFixed(3)} ms per example` : ''}`];
    if (t.batchNormLayers.length > 0) lines.push('', md`Batch-norm layers: ${t.batchNormLayers.join(', ')}`);
    lines.push('', runLine(view));
    out.push(annotation('teacher', { start: teacherNode.offset, end: teacherNode.offset + teacherNode.length }, parts, lines));
  }
  return out;
}

/** An arm entry's name: the string itself, or `name` / `method` of the object. */
function armName(node: Node): string | undefined {
  if (node.type === 'string') return node.value as string;
  if (node.type !== 'object') return undefined;
  const prop = (key: string) => node.children?.find((p) => p.children?.[0]?.value === key)?.children?.[1]?.value;
  const n = prop('name') ?? prop('method');
  return typeof n === 'string' ? n : undefined;
}

/** Hints on the teacher's batch-norm layers (in the teacher's own experiment file) from a distill run of it. */
export function teacherBatchNormAnnotations(text: string, view: DistillView): FileAnnotation[] {
  const arms = view.arms.filter((a) => (a.batchNorm ?? []).length > 0);
  if (arms.length === 0) return [];
  const out: FileAnnotation[] = [];
  for (const node of findLayerNodes(text)) {
    const rows = arms.flatMap((a) => (a.batchNorm ?? []).filter((g) => g.layer === node.name).map((g) => ({ arm: a.name, g })));
    if (rows.length === 0) continue;
    const parts = [`BN μ ${rows.map(({ g }) => formatGap(g.mean)).join('/')} σ² ${rows.map(({ g }) => formatGap(g.variance)).join('/')}`];
    const lines = [md`**${node.name}** · batch norm after synthesis (distill run ${view.experiment})`, '', md`Gap of the synthetic inputs' batch mean and variance to this layer's running statistics (relative RMS; 0 = match; Gaussian noise in brackets), for ${rows.map((r) => r.arm).join(', ')}:`];
    for (const { arm, g } of rows) {
      lines.push(md`- ${arm}: mean ${formatLoss(g.mean)}${g.meanBefore !== undefined ? ` (${formatLoss(g.meanBefore)})` : ''}, variance ${formatLoss(g.variance)}${g.varianceBefore !== undefined ? ` (${formatLoss(g.varianceBefore)})` : ''}`);
    }
    lines.push('', runLine(view));
    out.push(annotation(node.name, node, parts, lines));
  }
  return out;
}
