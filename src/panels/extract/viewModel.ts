import type { ExtractedEntity, ExtractionResult } from '../../core/extract/types';
import type { ExtractPanelState } from './messages';

/**
 * Pure view model of an extraction result, shared by the results panel (bundled into the
 * browser: keep this file free of Node and `vscode` imports) and the editor decorations.
 */

/** The six chart colours every VS Code theme defines (`charts.*`), in legend order. */
export const TYPE_COLORS = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'] as const;
export type TypeColor = (typeof TYPE_COLORS)[number];

/**
 * Colour of each entity type: schema order first (stable across results of one schema), then
 * types the schema does not list, in order of appearance. Past six types colours repeat.
 */
export function typeColors(schemaTypes: readonly string[], entities: readonly { type: string }[]): Map<string, TypeColor> {
  const order = [...new Set([...schemaTypes, ...entities.map((e) => e.type)])];
  return new Map(order.map((t, i) => [t, TYPE_COLORS[i % TYPE_COLORS.length]]));
}

/** A maximal run of the text covered by the same set of entities. */
export interface HighlightSegment {
  start: number;
  end: number;
  text: string;
  /** Indexes into `entities` of the spans covering this run (empty = plain text), by start. */
  entities: number[];
}

/**
 * Cuts `text` at every entity boundary, so overlapping and nested spans become runs covered by
 * one or more entities and adjacent spans stay separate runs. Offsets are UTF-16 code units;
 * grounding never reports a span that splits a surrogate pair, so no cut does either.
 * Spans outside the text are ignored.
 */
export function highlightSegments(text: string, entities: readonly Pick<ExtractedEntity, 'start' | 'end'>[]): HighlightSegment[] {
  const valid = entities
    .map((e, i) => ({ ...e, i }))
    .filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end) && e.start >= 0 && e.start < e.end && e.end <= text.length);
  const cuts = new Set<number>([0, text.length]);
  for (const e of valid) { cuts.add(e.start); cuts.add(e.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const out: HighlightSegment[] = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const start = points[k];
    const end = points[k + 1];
    const covering = valid
      .filter((e) => e.start <= start && e.end >= end)
      .sort((a, b) => a.start - b.start || b.end - a.end || a.i - b.i)
      .map((e) => e.i);
    out.push({ start, end, text: text.slice(start, end), entities: covering });
  }
  return out;
}

/**
 * `probability`: the model's probability of the relation ("0.97"), "" when it gives none;
 * `rationale`: the words the relation rests on with their scores ("caused 0.41, by 0.22"), "" when none.
 */
export interface RelationRow { type: string; head: string; tail: string; probability: string; rationale: string }
export interface EventRow { type: string; trigger: string; arguments: string }

/** `Oswald (Peop)`: a span as a table cell. */
export function spanLabel(s: { text: string; type: string }): string {
  return `${s.text} (${s.type})`;
}

export function relationRows(result: ExtractionResult): RelationRow[] {
  return result.relations.map((r) => ({
    type: r.type,
    head: spanLabel(r.head),
    tail: spanLabel(r.tail),
    probability: r.score === undefined ? '' : r.score.toFixed(2),
    rationale: (r.rationale ?? []).map((w) => (w.score === undefined ? w.text : `${w.text} ${w.score.toFixed(2)}`)).join(', '),
  }));
}

/** A rationale word of one relation, for the editor's dotted underline and its hover. */
export interface RationaleMark {
  start: number;
  end: number;
  hover: string;
}

/**
 * The rationale words of every relation as marks: the hover names the relation (`circuit →
 * fire`) and how much its probability drops without the word. A word that justifies several
 * relations gets one mark per relation.
 */
export function rationaleMarks(result: ExtractionResult): RationaleMark[] {
  return result.relations.flatMap((r) => (r.rationale ?? []).map((w) => ({
    start: w.start,
    end: w.end,
    hover: `rationale of ${r.type}: ${r.head.text} → ${r.tail.text}` +
      (w.score === undefined ? '' : `; without "${w.text}" its probability drops by ${w.score.toFixed(2)}`),
  })));
}

export function eventRows(result: ExtractionResult): EventRow[] {
  return result.events.map((e) => ({
    type: e.type,
    trigger: e.trigger.text,
    arguments: e.arguments.map((a) => `${a.role}: ${spanLabel(a.entity)}`).join('; '),
  }));
}

export interface Provenance {
  provider: string;
  /** "3 exact, 1 normalised" (kinds with zero spans left out). */
  grounding: string;
  /** "2 spans dropped: not found in the text", or "" when nothing was dropped. */
  dropped: string;
}

export function provenance(result: ExtractionResult): Provenance {
  const counts = new Map<string, number>();
  for (const e of result.entities) {
    const k = e.grounding ?? 'exact';
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const grounding = ['exact', 'normalised', 'fuzzy'].filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k}`).join(', ') || 'no spans';
  const n = result.ungrounded;
  const dropped = n > 0 ? `${n} span${n === 1 ? '' : 's'} dropped: not found in the text` : '';
  return { provider: result.provider, grounding, dropped };
}

/**
 * Below this calibrated confidence a span is marked as uncertain (dashed in the panel, "low" in
 * its table): with the shipped model's calibration, fewer than half of such spans are right.
 */
export const LOW_CONFIDENCE = 0.5;

export function isLowConfidence(e: Pick<ExtractedEntity, 'confidence'>): boolean {
  return e.confidence !== undefined && e.confidence < LOW_CONFIDENCE;
}

/** "0.83", "0.42 (low)", or "" when the provider gives no confidence. */
export function confidenceLabel(e: Pick<ExtractedEntity, 'confidence'>): string {
  if (e.confidence === undefined) return '';
  return `${e.confidence.toFixed(2)}${isLowConfidence(e) ? ' (low)' : ''}`;
}

/**
 * The hover text of one entity span: type, how it was grounded, the model's confidence when it
 * gives one, and the relations it takes part in (`Cause-Effect: short circuit → fire`).
 */
export function entityHover(e: ExtractedEntity, provider: string, relations: ExtractionResult['relations'] = []): string {
  const confidence = e.confidence === undefined ? '' : `, confidence ${confidenceLabel(e)}`;
  const links = relations
    .filter((r) => (r.head.start === e.start && r.head.end === e.end && r.head.type === e.type) || (r.tail.start === e.start && r.tail.end === e.end && r.tail.type === e.type))
    .map((r) => `${r.type}: ${r.head.text} → ${r.tail.text}`);
  return `${e.type} (${e.grounding ?? 'exact'} match, ${provider}${confidence})${links.length ? `; ${links.join('; ')}` : ''}`;
}

/**
 * Where a selection came from, for the panel's title and header: the file name and its 1-based
 * line range, `notes.txt:12` or `notes.txt:12–14`. `endLine` is the last line with selected text
 * (0-based lines, as editors count them).
 */
export function sourceLabel(fileName: string, startLine: number, endLine: number): string {
  return endLine > startLine ? `${fileName}:${startLine + 1}\u2013${endLine + 1}` : `${fileName}:${startLine + 1}`;
}

/** The panel's title: what it shows, by file and lines. */
export function panelTitle(source?: string, failed = false): string {
  return source ? `Extraction: ${source}${failed ? ' (failed)' : ''}` : 'Extraction';
}

/** The document written by Copy JSON / Export JSON: the input, where it came from, and the result. */
export function exportDocument(state: ExtractPanelState): string {
  const { entities, relations, events, ungrounded, provider } = state.result;
  return JSON.stringify({ source: state.source, schema: state.schemaName, createdAt: state.createdAt, text: state.text, provider, entities, relations, events, ungrounded }, null, 2) + '\n';
}
