import { UserError } from '../errors';
import type { ExtractionSchema } from './schema';
import { Grounder } from './grounding';
import type { EntityRef, ExtractedEntity, ExtractedEvent, ExtractedRelation, ExtractionResult } from './types';

/**
 * Turns what a model said (span texts, possibly invented or misspelt) into an
 * `ExtractionResult` whose every span is grounded in the input. Spans that cannot be grounded
 * are dropped and counted in `ungrounded`, and so is every record that depended on them
 * (a relation whose head is invented is not reported). Records with types outside the schema
 * are dropped too (counted separately by the caller if needed: they are not spans).
 *
 * The answer comes from an endpoint that may misbehave: it may name at most `MAX_ANSWER_SPANS`
 * spans, and the work is linear in their number (grounding is bounded per span, arguments are
 * matched to entities through a map).
 */
export interface RawEntity { type?: unknown; text?: unknown; start?: unknown }
export interface RawRelation { type?: unknown; head?: unknown; tail?: unknown }
export interface RawEvent { type?: unknown; trigger?: unknown; arguments?: unknown }
export interface RawExtraction { entities?: unknown; relations?: unknown; events?: unknown }

/** Far more than a real answer names for one request's text (at most a few hundred candidates). */
export const MAX_ANSWER_SPANS = 5_000;

export function assembleResult(input: string, schema: ExtractionSchema, raw: RawExtraction, provider: string): ExtractionResult {
  const spans = answerSpans(raw);
  if (spans > MAX_ANSWER_SPANS) {
    throw new UserError(`${provider}: the answer names ${spans} spans, more than the ${MAX_ANSWER_SPANS} Model Lab accepts from one request; it was not used`);
  }
  const grounder = new Grounder(input);
  const entityTypes = new Set(schema.entities.map((e) => e.type));
  const relationDefs = new Map(schema.relations.map((r) => [r.type, r]));
  const eventDefs = new Map(schema.events.map((e) => [e.type, e]));
  let ungrounded = 0;
  const entities: ExtractedEntity[] = [];
  const byKey = new Map<string, ExtractedEntity>();
  /** Entities by their text, trimmed and lower-cased, in the order they were found. */
  const byText = new Map<string, ExtractedEntity[]>();

  const addEntity = (type: string, text: string, hint?: number): ExtractedEntity | undefined => {
    const g = grounder.ground(text, hint);
    if (!g) { ungrounded++; return undefined; }
    const key = `${type}\u0000${g.start}\u0000${g.end}`;
    const existing = byKey.get(key);
    if (existing) return existing;
    const e: ExtractedEntity = { type, text: g.text, start: g.start, end: g.end, grounding: g.kind };
    byKey.set(key, e);
    entities.push(e);
    const textKey = e.text.trim().toLowerCase();
    const same = byText.get(textKey);
    if (same) same.push(e);
    else byText.set(textKey, [e]);
    return e;
  };

  for (const r of asArray(raw.entities)) {
    const e = r as RawEntity;
    if (typeof e?.type !== 'string' || !entityTypes.has(e.type) || typeof e.text !== 'string') continue;
    addEntity(e.type, e.text, typeof e.start === 'number' ? e.start : undefined);
  }

  /** A relation/event argument: reuse an entity with that text (and type) if there is one. */
  const argument = (value: unknown, types: string[]): EntityRef | undefined => {
    const text = typeof value === 'string' ? value : typeof (value as RawEntity)?.text === 'string' ? ((value as RawEntity).text as string) : undefined;
    if (text === undefined || text.trim() === '') { ungrounded++; return undefined; }
    const explicitType = typeof (value as RawEntity)?.type === 'string' ? ((value as RawEntity).type as string) : undefined;
    const match = byText.get(text.trim().toLowerCase())?.find((e) => types.length === 0 || types.includes(e.type));
    if (match) return ref(match);
    const type = explicitType && (types.length === 0 || types.includes(explicitType)) ? explicitType : types[0];
    if (type === undefined || !entityTypes.has(type)) {
      // Untyped argument: ground it to check it is real, report it with the generic type "span".
      const g = grounder.ground(text);
      if (!g) { ungrounded++; return undefined; }
      return { type: 'span', text: g.text, start: g.start, end: g.end };
    }
    const e = addEntity(type, text);
    return e && ref(e);
  };

  const relations: ExtractedRelation[] = [];
  const relationKeys = new Set<string>();
  for (const r of asArray(raw.relations)) {
    const rel = r as RawRelation;
    if (typeof rel?.type !== 'string') continue;
    const def = relationDefs.get(rel.type);
    if (!def) continue;
    const head = argument(rel.head, [def.head]);
    const tail = argument(rel.tail, [def.tail]);
    if (!head || !tail) continue;
    const key = `${def.type}|${head.start}|${head.end}|${tail.start}|${tail.end}`;
    if (relationKeys.has(key)) continue;
    relationKeys.add(key);
    relations.push({ type: def.type, head, tail });
  }

  const events: ExtractedEvent[] = [];
  for (const r of asArray(raw.events)) {
    const ev = r as RawEvent;
    if (typeof ev?.type !== 'string') continue;
    const def = eventDefs.get(ev.type);
    if (!def) continue;
    const triggerText = typeof ev.trigger === 'string' ? ev.trigger : (ev.trigger as RawEntity)?.text;
    const g = typeof triggerText === 'string' ? grounder.ground(triggerText) : undefined;
    if (!g) { ungrounded++; continue; }
    const args: ExtractedEvent['arguments'] = [];
    for (const a of asArray(ev.arguments)) {
      const arg = a as { role?: unknown; text?: unknown; entity?: unknown };
      const role = def.roles.find((x) => x.role === arg?.role);
      if (!role) continue;
      const entity = argument(arg.entity ?? arg.text, role.types);
      if (entity) args.push({ role: role.role, entity });
    }
    events.push({ type: def.type, trigger: { type: 'trigger', text: g.text, start: g.start, end: g.end }, arguments: args });
  }

  entities.sort((a, b) => a.start - b.start || a.end - b.end);
  return { entities, relations, events, ungrounded, provider };
}

function ref(e: ExtractedEntity): EntityRef {
  return { type: e.type, text: e.text, start: e.start, end: e.end };
}

/** How many spans an answer names (entities, relation heads and tails, triggers, arguments). */
function answerSpans(raw: RawExtraction): number {
  let n = asArray(raw.entities).length + 2 * asArray(raw.relations).length;
  for (const ev of asArray(raw.events)) n += 1 + asArray((ev as RawEvent)?.arguments).length;
  return n;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
