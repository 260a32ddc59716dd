import type { EntityRef, ExtractionResult } from '../../core/extract/types';
import { toCsv } from '../shared/export';

/**
 * An extraction's records as CSV tables for the panel's Export buttons: one row per entity, per
 * relation and per event argument, with the spans' offsets (UTF-16 code units into the text,
 * `end` exclusive) so the rows can be joined back to the text.
 */

export function entitiesCsv(result: ExtractionResult): string {
  return toCsv(['type', 'text', 'start', 'end', 'grounding'], result.entities.map((e) => [e.type, e.text, e.start, e.end, e.grounding ?? 'exact']));
}

const span = (prefix: string) => [`${prefix}`, `${prefix}Type`, `${prefix}Start`, `${prefix}End`];
const spanCells = (e: EntityRef) => [e.text, e.type, e.start, e.end];

export function relationsCsv(result: ExtractionResult): string {
  return toCsv(['type', ...span('head'), ...span('tail')], result.relations.map((r) => [r.type, ...spanCells(r.head), ...spanCells(r.tail)]));
}

/** One row per argument (an event without arguments has one row with empty argument cells). */
export function eventsCsv(result: ExtractionResult): string {
  return toCsv(
    ['event', 'type', ...span('trigger'), 'role', ...span('argument')],
    result.events.flatMap((ev, i) =>
      (ev.arguments.length ? ev.arguments : [undefined]).map((a) => [i + 1, ev.type, ...spanCells(ev.trigger), a?.role, ...(a ? spanCells(a.entity) : [null, null, null, null])]),
    ),
  );
}
