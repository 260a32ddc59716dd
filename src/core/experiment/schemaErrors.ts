import type { ErrorObject } from 'ajv';
import type { Node as JsonNode } from 'jsonc-parser';
import { diagnosticAt, type ExperimentDiagnostic, type LineMap } from './diagnostic';
import { rangeOf } from './jsonLocation';
import { EXPERIMENT_SCHEMA, KIND_SCHEMAS } from './schema';
import { closest } from './suggest';

type Schema = Record<string, unknown>;

/** What the tag of each discriminated union is called in messages. */
const TAG_NOUNS: Record<string, string> = {
  kind: 'experiment kind',
  format: 'data format',
  type: 'layer type',
  policy: 'freezing policy',
};

/**
 * Turn ajv's errors into one diagnostic per real problem, with messages that name the field:
 * sub-errors of a failed `oneOf`/`anyOf` are folded into one message describing the
 * alternatives, `if` bookkeeping errors are dropped, unknown properties point at their key.
 */
export function schemaDiagnostics(errors: ErrorObject[], tree: JsonNode | undefined, lines: LineMap): ExperimentDiagnostic[] {
  const groups = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  // The parent of a discriminated union may also list the tag's values (for editor
  // completion); its `enum`/`required` errors repeat the discriminator's.
  const tags = errors
    .filter((e) => e.keyword === 'discriminator')
    .map((e) => ({ at: e.instancePath, tag: String((e.params as { tag: unknown }).tag) }));
  const repeatsTag = (e: ErrorObject): boolean =>
    tags.some(
      (t) =>
        (e.keyword === 'enum' && e.instancePath === `${t.at}/${t.tag}`) ||
        (e.keyword === 'required' && e.instancePath === t.at && (e.params as { missingProperty: unknown }).missingProperty === t.tag),
    );
  const kept = errors.filter(
    (e) =>
      e.keyword !== 'if' &&
      !repeatsTag(e) &&
      !groups.some(
        (g) => g !== e && e.instancePath.startsWith(g.instancePath) && e.schemaPath.startsWith(g.schemaPath + '/'),
      ),
  );
  const out: ExperimentDiagnostic[] = [];
  const seen = new Set<string>();
  for (const e of kept) {
    const d = describe(e, errors);
    const key = `${d.pointer}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { start, end } = rangeOf(tree, d.pointer, d.at);
    out.push(diagnosticAt(lines, d.message, d.pointer, start, end));
  }
  return out;
}

/**
 * What the schema rejected, as a test for semantic checks: `valid(p)` is false when a field at,
 * above or below pointer `p` failed (a missing property counts at its own pointer, so a missing
 * `training` does not stop the checks of `data`).
 */
export function schemaValidity(errors: ErrorObject[]): (...pointers: string[]) => boolean {
  const invalid = errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const params = e.params as Record<string, unknown>;
      if (e.keyword === 'required') return `${e.instancePath}/${escapePointer(String(params.missingProperty))}`;
      if (e.keyword === 'additionalProperties') return `${e.instancePath}/${escapePointer(String(params.additionalProperty))}`;
      return e.instancePath;
    });
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`) || a === '' || b === '';
  return (...pointers) => pointers.every((p) => !invalid.some((q) => related(p, q)));
}

interface Described {
  pointer: string;
  message: string;
  at: 'value' | 'key';
}

function describe(e: ErrorObject, all: ErrorObject[]): Described {
  const p = e.instancePath;
  const label = fieldLabel(p);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'discriminator': {
      const tag = String(params.tag);
      const pointer = `${p}/${tag}`;
      const values = discriminatorValues(e.parentSchema as Schema, tag);
      const value = params.tagValue;
      if (value === undefined) {
        return { pointer: p, at: 'key', message: `missing required property "${tag}"; expected one of ${values.join(', ')}` };
      }
      if (typeof value !== 'string') {
        return { pointer, at: 'value', message: `${tag} must be a string, one of ${values.join(', ')}; got ${show(value)}` };
      }
      const noun = TAG_NOUNS[tag] ?? tag;
      return { pointer, at: 'value', message: `unknown ${noun} "${value}"${didYouMean(value, values)}; expected one of ${values.join(', ')}` };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      return { pointer: p, at: 'key', message: `missing required property "${missing}"${unlessHint(e, all)}` };
    }
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const allowed = Object.keys(((e.parentSchema as Schema).properties as Schema | undefined) ?? {}).filter((k) => k !== '$schema');
      const where = p === '' ? '' : ` in ${label}`;
      const nested = nestedOwner(e.parentSchema as Schema, prop);
      const hint = nested ? ` (it belongs in "${nested}")` : didYouMean(prop, allowed);
      return {
        pointer: `${p}/${escapePointer(prop)}`,
        at: 'key',
        message: `unknown property "${prop}"${where}${hint}; allowed: ${allowed.join(', ')}`,
      };
    }
    case 'type': {
      const t = String(params.type).split(',');
      if (typeof e.data === 'number' && !Number.isFinite(e.data)) {
        // `1e999` parses as Infinity, which fails even a number type.
        return { pointer: p, at: 'value', message: `${label} is too large to represent as a number (${e.data}); it must be ${t.map(article).join(' or ')}` };
      }
      return { pointer: p, at: 'value', message: `${label} must be ${t.map(article).join(' or ')}, got ${show(e.data)}` };
    }
    case 'enum': {
      const values = (e.schema as unknown[]).map((v) => String(v));
      const v = e.data;
      if (typeof v === 'string') {
        return { pointer: p, at: 'value', message: `unknown ${label} "${v}"${didYouMean(v, values)}; expected one of ${values.join(', ')}` };
      }
      return { pointer: p, at: 'value', message: `${label} must be one of ${values.join(', ')}, got ${show(v)}` };
    }
    case 'const':
      return { pointer: p, at: 'value', message: `${label} must be ${JSON.stringify(e.schema)}, got ${show(e.data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[e.keyword];
      return { pointer: p, at: 'value', message: `${label} must be ${op} ${String(params.limit)}, got ${show(e.data)}` };
    }
    case 'minItems':
      return {
        pointer: p,
        at: 'value',
        message: params.limit === 1 ? `${label} must not be empty` : `${label} must have at least ${String(params.limit)} items, got ${(e.data as unknown[]).length}`,
      };
    case 'maxItems':
      return { pointer: p, at: 'value', message: `${label} must have at most ${String(params.limit)} items, got ${(e.data as unknown[]).length}` };
    case 'minLength':
      return {
        pointer: p,
        at: 'value',
        message: params.limit === 1 ? `${label} must not be empty` : `${label} must be at least ${String(params.limit)} characters long`,
      };
    case 'uniqueItems':
      return { pointer: `${p}/${String(params.i)}`, at: 'value', message: `${label} lists ${show((e.data as unknown[])[params.i as number])} twice (items ${String(params.j)} and ${String(params.i)})` };
    case 'oneOf':
    case 'anyOf':
      return describeAlternatives(e, label);
    default:
      return { pointer: p, at: 'value', message: `${label} ${e.message ?? 'is invalid'}` };
  }
}

/** A failed `oneOf`/`anyOf` without a discriminator: one message naming the alternatives. */
function describeAlternatives(e: ErrorObject, label: string): Described {
  const branches = ((e.schema as Schema[]) ?? []).map(resolveRef);
  const p = e.instancePath;
  // `oneOf: [{required: [a]}, {required: [b]}]`: "exactly one of a and b".
  const requiredOnly = branches.every((b) => Object.keys(b).length === 1 && Array.isArray(b.required) && b.required.length === 1);
  if (requiredOnly) {
    const names = branches.map((b) => `"${(b.required as string[])[0]}"`);
    const passing = (e.params as { passingSchemas?: unknown }).passingSchemas;
    const list = names.length === 2 ? `${names[0]} and ${names[1]}` : names.join(', ');
    return passing ? { pointer: p, at: 'key', message: `give only one of ${list}` } : { pointer: p, at: 'key', message: `give one of ${list}` };
  }
  return { pointer: p, at: 'value', message: `${label} must be ${branches.map(describeSchema).join(' or ')}, got ${show(e.data)}` };
}

/** A short phrase for what a (simple) schema accepts, e.g. `an integer >= 0`. */
function describeSchema(s: Schema): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' or ');
  if ('const' in s) return JSON.stringify(s.const);
  const types = (Array.isArray(s.type) ? s.type : s.type !== undefined ? [s.type] : []).map(String);
  let phrase = types.length ? types.map(article).join(' or ') : 'a valid value';
  if (typeof s.minimum === 'number') phrase += ` >= ${s.minimum}`;
  if (typeof s.maximum === 'number') phrase += ` <= ${s.maximum}`;
  return phrase;
}

/** For a `required` inside `then` of `if: {not: {required: [x]}}`: "(needed unless "x" is given)". */
function unlessHint(e: ErrorObject, all: ErrorObject[]): string {
  if (!e.schemaPath.endsWith('/then/required')) return '';
  const ifError = all.find((x) => x.keyword === 'if' && x.instancePath === e.instancePath);
  const cond = (ifError?.parentSchema as Schema | undefined)?.if as Schema | undefined;
  const not = cond?.not as Schema | undefined;
  const names = Array.isArray(not?.required) ? (not.required as string[]) : [];
  return names.length ? ` (needed unless ${names.map((n) => `"${n}"`).join(' or ')} is given)` : '';
}

/** The property of `parent` whose own object schema has `prop` (e.g. learningRate -> optimizer). */
function nestedOwner(parent: Schema, prop: string): string | undefined {
  const props = (parent.properties as Record<string, Schema> | undefined) ?? {};
  for (const [name, sub] of Object.entries(props)) {
    const inner = resolveRef(sub).properties as Schema | undefined;
    if (inner && Object.prototype.hasOwnProperty.call(inner, prop)) return name;
  }
  return undefined;
}

function discriminatorValues(parent: Schema, tag: string): string[] {
  const branches = (parent.oneOf as Schema[] | undefined) ?? [];
  const values: string[] = [];
  for (const b of branches.map(resolveRef)) {
    const prop = ((b.properties as Schema | undefined) ?? {})[tag] as Schema | undefined;
    if (prop && 'const' in prop) values.push(String(prop.const));
    else if (prop && Array.isArray(prop.enum)) values.push(...prop.enum.map(String));
  }
  return values;
}

/**
 * Resolve a `{"$ref": "#/definitions/x"}` against the experiment schema, or a
 * `{"$ref": "kinds/<file>"}` / `{"$ref": "kinds/<file>#/definitions/x"}`
 * (`../experiment.schema.json#/...` from a kind file) against that file.
 */
function resolveRef(s: Schema): Schema {
  const ref = s.$ref;
  if (typeof ref !== 'string') return s;
  // A whole kind file (`kinds/distill.schema.json`) or a definition in one (`...#/definitions/x`).
  const hash = ref.indexOf('#/');
  const file = (hash < 0 ? ref : ref.slice(0, hash)).split('/').pop() ?? '';
  let node: unknown = file === '' || file === 'experiment.schema.json' ? EXPERIMENT_SCHEMA : KIND_SCHEMAS[file];
  if (hash >= 0) for (const part of ref.slice(hash + 2).split('/')) node = (node as Schema | undefined)?.[part];
  return (node as Schema) ?? s;
}

/** How a field is named in messages: `units`, `inputShape[1]`, `layers[2]`, or `the experiment`. */
export function fieldLabel(pointer: string): string {
  const parts = pointer.split('/').slice(1).map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return 'the experiment';
  const last = parts[parts.length - 1];
  if (/^\d+$/.test(last) && parts.length >= 2) return `${parts[parts.length - 2]}[${last}]`;
  return last;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function didYouMean(value: string, candidates: string[]): string {
  const c = closest(value, candidates);
  return c !== undefined && c !== value ? ` (did you mean "${c}"?)` : '';
}

function article(type: string): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    default:
      return `a ${type}`;
  }
}

/** A value as shown in a message: short JSON plus what kind of value it is when that helps. */
function show(v: unknown): string {
  if (v === null) return 'null';
  // `1e999` parses as Infinity, which JSON would print as null.
  if (typeof v === 'number' && !Number.isFinite(v)) return `a number too large to represent (${v})`;
  if (Array.isArray(v)) return v.length <= 6 ? `${JSON.stringify(v)} (an array)` : `an array of ${v.length} items`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)} (a string)`;
  return JSON.stringify(v);
}
