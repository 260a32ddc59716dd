import { isCommonWebviewToHost, isRunAction, type CommonWebviewToHost, type Notice, type RunAction } from '../shared/messages';
import { isFiniteNumber, isNotice, isRecord, isRunStatus, isShortString } from '../shared/validators';
import type { DistillView } from './viewModel';

/**
 * The message contract of the distillation panel (host: `src/vscode/distill/distillPanel.ts`,
 * webview: `webview/distill/main.ts`). Both sides validate what they receive and drop what does
 * not fit.
 */
export type HostToWebview =
  | { type: 'view'; view: DistillView }
  | Notice;

export type WebviewToHost = CommonWebviewToHost | RunAction;

/** What the webview persists, so the serializer can restore the panel after a reload. */
export interface DistillPanelState {
  runDir: string;
}

/** Upper bounds on what a panel message may carry (a hostile or broken run folder cannot flood the webview). */
const MAX_ARMS = 32;
const MAX_POINTS = 200_000;
const MAX_LAYERS = 1000;
const MAX_GALLERY = 1000;
const MAX_EXAMPLE_VALUES = 64 * 64 * 4;

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  return isRecord(m) && (isCommonWebviewToHost(m) || isRunAction(m));
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'view':
      return isDistillView(m.view);
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

export function isDistillPanelState(s: unknown): s is DistillPanelState {
  return isRecord(s) && isShortString(s.runDir);
}

const optionalNumber = (v: unknown) => v === undefined || isFiniteNumber(v);
const strings = (v: unknown, max: number) => Array.isArray(v) && v.length <= max && v.every((x) => typeof x === 'string' && x.length <= 200);

function isLayers(v: unknown): boolean {
  return Array.isArray(v) && v.length <= MAX_LAYERS && v.every((l) => isRecord(l) && typeof l.name === 'string' && typeof l.type === 'string' && isFiniteNumber(l.params));
}

function isArm(a: unknown): boolean {
  if (!isRecord(a)) return false;
  return (
    isShortString(a.name) && typeof a.method === 'string' && strings(a.stages, 16) &&
    ['waiting', 'running', 'done'].includes(a.state as string) && typeof a.dataFree === 'boolean' &&
    ['accuracy', 'parameters', 'msPerExample', 'trainSeconds', 'examples'].every((k) => optionalNumber(a[k])) &&
    (a.layerMap === undefined || (Array.isArray(a.layerMap) && a.layerMap.length <= MAX_LAYERS && a.layerMap.every((m) => isRecord(m) && typeof m.student === 'string' && typeof m.teacher === 'string'))) &&
    isRecord(a.finalLosses) && Object.values(a.finalLosses).every((s) => isRecord(s) && Object.values(s).every(isFiniteNumber)) &&
    (a.gallery === undefined || (Array.isArray(a.gallery) && a.gallery.length <= MAX_GALLERY &&
      a.gallery.every((g) => isRecord(g) && Number.isInteger(g.label) && Array.isArray(g.values) && g.values.length <= MAX_EXAMPLE_VALUES && g.values.every(isFiniteNumber)))) &&
    (a.batchNorm === undefined || (Array.isArray(a.batchNorm) && a.batchNorm.length <= MAX_LAYERS &&
      a.batchNorm.every((g) => isRecord(g) && typeof g.layer === 'string' && isFiniteNumber(g.mean) && isFiniteNumber(g.variance) && optionalNumber(g.meanBefore) && optionalNumber(g.varianceBefore))))
  );
}

export function isDistillView(v: unknown): v is DistillView {
  if (!isRecord(v)) return false;
  const t = v.teacher;
  const s = v.student;
  return (
    ['runId', 'runDir', 'experiment'].every((k) => typeof v[k] === 'string') && isRunStatus(v.status) &&
    (v.message === undefined || typeof v.message === 'string') && typeof v.resumed === 'boolean' &&
    Array.isArray(v.exampleShape) && v.exampleShape.length <= 4 && v.exampleShape.every((n) => Number.isInteger(n) && (n as number) > 0) &&
    (v.imageShape === undefined || (Array.isArray(v.imageShape) && v.imageShape.length === 3 && v.imageShape.every((n) => Number.isInteger(n) && (n as number) > 0 && (n as number) <= 256))) &&
    strings(v.classNames, 1000) &&
    (t === undefined || (isRecord(t) && isFiniteNumber(t.parameters) && optionalNumber(t.accuracy) && optionalNumber(t.msPerExample) && isLayers(t.layers) && strings(t.batchNormLayers, MAX_LAYERS))) &&
    (s === undefined || (isRecord(s) && isFiniteNumber(s.parameters) && isLayers(s.layers))) &&
    Array.isArray(v.arms) && v.arms.length <= MAX_ARMS && v.arms.every(isArm) &&
    Array.isArray(v.stages) && v.stages.length <= 64 && v.stages.every((st) => isRecord(st) && typeof st.name === 'string' && strings(st.lanes, 64)) &&
    Array.isArray(v.points) && v.points.length <= MAX_POINTS &&
    v.points.every((p) => isRecord(p) && typeof p.arm === 'string' && typeof p.stage === 'string' && typeof p.lane === 'string' && isFiniteNumber(p.step) && isFiniteNumber(p.value))
  );
}
