import { promises as fs } from 'node:fs';
import * as jsonc from 'jsonc-parser';
import { UserError } from '../errors';

/**
 * An extraction schema (`*.schema.json`): the instruction half of ChatUIE's
 * "instruction + context". Types are keyed by name so names are unique by construction and
 * error pointers read naturally (`/relations/Work_For/head`).
 *
 * ```json
 * {
 *   "name": "conll04",
 *   "entities": { "Peop": { "description": "People" }, "Org": {} },
 *   "relations": { "Work_For": { "head": "Peop", "tail": "Org" } },
 *   "events": { "Attack": { "roles": { "attacker": ["Peop", "Org"], "target": [] } } }
 * }
 * ```
 * An event role lists the entity types it accepts; an empty list accepts any type.
 */
export interface ExtractionSchema {
  name: string;
  description?: string;
  entities: EntityTypeDef[];
  relations: RelationTypeDef[];
  events: EventTypeDef[];
}

export interface EntityTypeDef {
  type: string;
  description?: string;
}

export interface RelationTypeDef {
  type: string;
  description?: string;
  head: string;
  tail: string;
}

export interface EventTypeDef {
  type: string;
  description?: string;
  roles: { role: string; types: string[] }[];
}

const TYPE_NAME = /^[A-Za-z_][A-Za-z0-9_.\- ]{0,63}$/;

/** Parse and validate schema text; errors name the field (JSON pointer) and its line. */
export function parseExtractionSchema(text: string, file?: string): ExtractionSchema {
  const errors: jsonc.ParseError[] = [];
  const root = jsonc.parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !root) {
    const offset = errors[0]?.offset ?? 0;
    const { line, column } = lineColumn(text, offset);
    const what = errors.length > 0 ? jsonc.printParseErrorCode(errors[0].error) : 'empty document';
    throw new UserError(`invalid JSON (${what})`, undefined, file, line, column);
  }
  const value = jsonc.getNodeValue(root) as unknown;
  const fail = (pointer: string, message: string): never => {
    const path = pointer.split('/').slice(1).map(unescapePointer);
    const node = jsonc.findNodeAtLocation(root, path) ?? root;
    const { line, column } = lineColumn(text, node.offset);
    throw new UserError(message, pointer, file, line, column);
  };
  return validateExtractionSchema(value, fail);
}

/** Read and validate a `*.schema.json` file. */
export async function loadExtractionSchema(file: string): Promise<ExtractionSchema> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read schema file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, undefined, file);
  }
  return parseExtractionSchema(text, file);
}

type Fail = (pointer: string, message: string) => never;

/** Validate an already-parsed value; `fail` builds the error (with line info when known). */
export function validateExtractionSchema(
  value: unknown,
  fail: Fail = (pointer, message) => { throw new UserError(message, pointer); },
): ExtractionSchema {
  if (!isObject(value)) return fail('', 'a schema must be a JSON object');
  const allowed = new Set(['$schema', 'name', 'description', 'entities', 'relations', 'events']);
  for (const k of Object.keys(value)) if (!allowed.has(k)) fail(`/${escapePointer(k)}`, `unknown field "${k}" (expected one of: ${[...allowed].join(', ')})`);
  const name = value.name ?? 'schema';
  if (typeof name !== 'string' || name.trim() === '') fail('/name', 'must be a non-empty string');
  const description = optionalString(value, 'description', '', fail);

  const entitiesValue = value.entities;
  if (!isObject(entitiesValue)) return fail('/entities', 'must be an object mapping entity type names to { "description"?: string }');
  const entities: EntityTypeDef[] = [];
  for (const [type, def] of Object.entries(entitiesValue)) {
    const p = `/entities/${escapePointer(type)}`;
    checkTypeName(type, p, fail);
    if (!isObject(def)) fail(p, 'must be an object, e.g. { "description": "..." }');
    const d = def as Record<string, unknown>;
    for (const k of Object.keys(d)) if (k !== 'description') fail(`${p}/${escapePointer(k)}`, `unknown field "${k}" (expected "description")`);
    entities.push({ type, description: optionalString(d, 'description', p, fail) });
  }
  if (entities.length === 0) fail('/entities', 'must declare at least one entity type');
  const entityTypes = new Set(entities.map((e) => e.type));
  const checkEntityType = (t: unknown, p: string): string => {
    if (typeof t !== 'string') return fail(p, 'must be an entity type name (string)');
    if (!entityTypes.has(t)) fail(p, `unknown entity type "${t}" (declared: ${[...entityTypes].join(', ')})`);
    return t;
  };

  const relations: RelationTypeDef[] = [];
  const relationsValue = value.relations ?? {};
  if (!isObject(relationsValue)) fail('/relations', 'must be an object mapping relation type names to { "head": type, "tail": type }');
  for (const [type, def] of Object.entries(relationsValue as Record<string, unknown>)) {
    const p = `/relations/${escapePointer(type)}`;
    checkTypeName(type, p, fail);
    if (!isObject(def)) return fail(p, 'must be an object { "head": entityType, "tail": entityType }');
    for (const k of Object.keys(def)) if (!['head', 'tail', 'description'].includes(k)) fail(`${p}/${escapePointer(k)}`, `unknown field "${k}" (expected head, tail, description)`);
    if (def.head === undefined) fail(p, 'missing "head" (the entity type of the relation\'s first argument)');
    if (def.tail === undefined) fail(p, 'missing "tail" (the entity type of the relation\'s second argument)');
    relations.push({
      type,
      description: optionalString(def, 'description', p, fail),
      head: checkEntityType(def.head, `${p}/head`),
      tail: checkEntityType(def.tail, `${p}/tail`),
    });
  }

  const events: EventTypeDef[] = [];
  const eventsValue = value.events ?? {};
  if (!isObject(eventsValue)) fail('/events', 'must be an object mapping event type names to { "roles": {...} }');
  for (const [type, def] of Object.entries(eventsValue as Record<string, unknown>)) {
    const p = `/events/${escapePointer(type)}`;
    checkTypeName(type, p, fail);
    if (!isObject(def)) return fail(p, 'must be an object { "roles": { roleName: [entityType, ...] } }');
    for (const k of Object.keys(def)) if (!['roles', 'description'].includes(k)) fail(`${p}/${escapePointer(k)}`, `unknown field "${k}" (expected roles, description)`);
    if (!isObject(def.roles)) return fail(`${p}/roles`, 'must be an object { roleName: [entityType, ...] }');
    const roles: EventTypeDef['roles'] = [];
    for (const [role, types] of Object.entries(def.roles)) {
      const rp = `${p}/roles/${escapePointer(role)}`;
      checkTypeName(role, rp, fail);
      if (!Array.isArray(types)) return fail(rp, 'must be an array of entity type names ([] accepts any type)');
      roles.push({ role, types: types.map((t, i) => checkEntityType(t, `${rp}/${i}`)) });
    }
    if (roles.length === 0) fail(`${p}/roles`, 'an event type needs at least one role');
    events.push({ type, description: optionalString(def, 'description', p, fail), roles });
  }
  return { name: name as string, description, entities, relations, events };
}

function checkTypeName(name: string, pointer: string, fail: Fail): void {
  if (!TYPE_NAME.test(name)) fail(pointer, `invalid name "${name}": use letters, digits, "_", "-", "." or spaces, starting with a letter or "_" (at most 64 characters)`);
}

function optionalString(obj: Record<string, unknown>, key: string, base: string, fail: Fail): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return fail(`${base}/${key}`, 'must be a string');
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastNewline = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lastNewline = i; }
  }
  return { line, column: offset - lastNewline };
}

/** The CoNLL04 schema: what the built-in model extracts. */
export const CONLL04_SCHEMA: ExtractionSchema = {
  name: 'conll04',
  description: 'CoNLL04 (Roth & Yih 2004): people, organisations, locations and the relations between them.',
  entities: [
    { type: 'Loc', description: 'Location' },
    { type: 'Org', description: 'Organization' },
    { type: 'Peop', description: 'People' },
    { type: 'Other', description: 'Other' },
  ],
  relations: [
    { type: 'Work_For', description: 'Work for', head: 'Peop', tail: 'Org' },
    { type: 'Kill', description: 'Kill', head: 'Peop', tail: 'Peop' },
    { type: 'OrgBased_In', description: 'Organization based in', head: 'Org', tail: 'Loc' },
    { type: 'Live_In', description: 'Live in', head: 'Peop', tail: 'Loc' },
    { type: 'Located_In', description: 'Located in', head: 'Loc', tail: 'Loc' },
  ],
  events: [],
};

/**
 * The causal schema: cause and effect spans joined by a `Cause-Effect` relation (the text half
 * of iReason; SemEval-2010 Task 8's Cause-Effect). The built-in provider answers it with the
 * causal model (`causal/causalModel.ts`), with the words that justify each relation; remote
 * providers answer it like any schema.
 */
export const CAUSAL_SCHEMA: ExtractionSchema = {
  name: 'causal',
  description: 'Cause-effect relations between two nominals (events, states, things): the cause brings about the effect.',
  entities: [
    { type: 'Cause', description: 'A noun phrase naming what brings something about (an event, state, agent or thing)' },
    { type: 'Effect', description: 'A noun phrase naming what is brought about' },
  ],
  relations: [
    { type: 'Cause-Effect', description: 'the head (cause) brings about the tail (effect)', head: 'Cause', tail: 'Effect' },
  ],
  events: [],
};

/** The built-in schemas by name (`--schema causal` on the command line, the schema picker in VS Code). */
export const BUILTIN_SCHEMAS: Record<string, ExtractionSchema> = { conll04: CONLL04_SCHEMA, causal: CAUSAL_SCHEMA };
