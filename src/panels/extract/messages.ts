import type { EntityRef, ExtractedEntity, ExtractedEvent, ExtractedRelation, ExtractionResult } from '../../core/extract/types';
import type { Notice } from '../shared/messages';
import { isRecord, isShortString, isRendererError, isNotice, MAX_MESSAGE_TEXT } from '../shared/validators';
import { isExportRequest, type ExportRequest } from '../shared/export';

/**
 * The message contract between the extraction results panel's host side
 * (`src/vscode/extract/`) and its renderer (`webview/extract/`). Both sides import this file
 * (a panel contract: no `vscode`, Node or TensorFlow.js imports) and validate what they
 * receive: the selected text and the model output are untrusted, and a malformed message is
 * dropped rather than rendered.
 */

/** What the panel shows, and what the webview persists with `setState` for the serializer. */
export interface ExtractPanelState {
  /** The text the provider saw (the selection). */
  text: string;
  result: ExtractionResult;
  /** Name of the schema used, and its entity types in schema order (for stable legend colours). */
  schemaName: string;
  entityTypes: string[];
  /** Where the text came from: file name and line range (`sourceLabel`), the panel's title. */
  source: string;
  /** ISO time of the extraction. */
  createdAt: string;
  /**
   * The document the text was selected in (URI) and the offset of the text's first character
   * in it, so a click on an entity can reveal it there. Absent in results saved before.
   */
  document?: string;
  offset?: number;
}

export type HostToWebview =
  | { type: 'result'; state: ExtractPanelState }
  /** The latest extraction (of `source`) failed: the previous result is cleared and `text` says why. */
  | { type: 'failed'; source: string; text: string }
  | Notice;

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'copyJson' }
  | { type: 'exportJson' }
  /** Save a table of the result as CSV where the user picks (the host's save dialog). */
  | ExportRequest
  /** Show entity `index` of the result (`result.entities[index]`) in its editor, selected. */
  | { type: 'revealEntity'; index: number }
  /** An error inside the renderer, logged to the "Model Lab" output channel. */
  | { type: 'error'; message: string };

/** Selections longer than this are refused before extraction (and so never reach the panel). */
export const MAX_TEXT_LENGTH = 200_000;
const MAX_ITEMS = 20_000;

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'ready':
    case 'copyJson':
    case 'exportJson':
      return true;
    case 'export':
      return isExportRequest(m) && m.format === 'csv';
    case 'revealEntity':
      return Number.isSafeInteger(m.index) && (m.index as number) >= 0 && (m.index as number) < MAX_ITEMS;
    case 'error':
      return isRendererError(m);
    default:
      return false;
  }
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'result':
      return isExtractPanelState(m.state);
    case 'failed':
      return isShortString(m.source) && typeof m.text === 'string' && m.text.length <= MAX_MESSAGE_TEXT;
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

export function isExtractPanelState(s: unknown): s is ExtractPanelState {
  return (
    isRecord(s) &&
    typeof s.text === 'string' && s.text.length <= MAX_TEXT_LENGTH &&
    isShortString(s.schemaName) && isShortString(s.source) && isShortString(s.createdAt) &&
    (s.document === undefined || isShortString(s.document)) &&
    (s.offset === undefined || (Number.isSafeInteger(s.offset) && (s.offset as number) >= 0)) &&
    Array.isArray(s.entityTypes) && s.entityTypes.length <= 1000 && s.entityTypes.every(isShortString) &&
    isExtractionResult(s.result, s.text)
  );
}

/**
 * A well-formed result whose spans all lie inside `text` and read what they claim
 * (`text.slice(start, end) === span.text`), so the renderer can slice without checks.
 */
export function isExtractionResult(r: unknown, text: string): r is ExtractionResult {
  return (
    isRecord(r) &&
    isShortString(r.provider) &&
    typeof r.ungrounded === 'number' && Number.isInteger(r.ungrounded) && r.ungrounded >= 0 &&
    Array.isArray(r.entities) && r.entities.length <= MAX_ITEMS && r.entities.every((e) => isEntity(e, text)) &&
    Array.isArray(r.relations) && r.relations.length <= MAX_ITEMS && r.relations.every((x) => isRelation(x, text)) &&
    Array.isArray(r.events) && r.events.length <= MAX_ITEMS && r.events.every((x) => isEvent(x, text))
  );
}

function isSpan(e: unknown, text: string): e is EntityRef {
  return (
    isRecord(e) && isShortString(e.type) && typeof e.text === 'string' &&
    Number.isInteger(e.start) && Number.isInteger(e.end) &&
    (e.start as number) >= 0 && (e.start as number) < (e.end as number) && (e.end as number) <= text.length &&
    text.slice(e.start as number, e.end as number) === e.text
  );
}

function isEntity(e: unknown, text: string): e is ExtractedEntity {
  return isSpan(e, text) && ((e as ExtractedEntity).grounding === undefined || ['exact', 'normalised', 'fuzzy'].includes((e as ExtractedEntity).grounding as string));
}

function isRelation(r: unknown, text: string): r is ExtractedRelation {
  return (
    isRecord(r) && isShortString(r.type) && isSpan(r.head, text) && isSpan(r.tail, text) &&
    (r.score === undefined || isProbability(r.score)) &&
    (r.rationale === undefined || (Array.isArray(r.rationale) && r.rationale.length <= 1000 && r.rationale.every((w) => isRationaleWord(w, text))))
  );
}

/** A rationale word: a span of `text` (like an entity's, without a type) with an optional finite score. */
function isRationaleWord(w: unknown, text: string): boolean {
  return isRecord(w) && isSpan({ ...w, type: 'rationale' }, text) && (w.score === undefined || (typeof w.score === 'number' && Number.isFinite(w.score)));
}

function isProbability(x: unknown): boolean {
  return typeof x === 'number' && x >= 0 && x <= 1;
}

function isEvent(e: unknown, text: string): e is ExtractedEvent {
  return (
    isRecord(e) && isShortString(e.type) && isSpan(e.trigger, text) &&
    Array.isArray(e.arguments) && e.arguments.length <= 1000 &&
    e.arguments.every((a) => isRecord(a) && isShortString(a.role) && isSpan(a.entity, text))
  );
}
