import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUILTIN_SCHEMAS, CONLL04_SCHEMA, parseExtractionSchema, type ExtractionSchema } from '../../core/extract/schema';
import { extractionSettings } from './extractionSettings';

/**
 * Which extraction schema is active: the one picked with "Select Extraction Schema"
 * (remembered per workspace: a file, or `builtin` / `builtin:<name>` for a built-in schema),
 * else the `modelLab.extraction.schema` setting, else the built-in CoNLL04 schema (the one
 * the built-in model was trained on). The built-in `causal` schema is answered by the built-in
 * causal model (cause and effect spans, with the words each relation rests on).
 */
export interface ActiveSchema {
  schema: ExtractionSchema;
  /** The schema file, or undefined for a built-in schema. */
  file?: string;
  /** For messages and the panel: "conll04 (built-in)" or the workspace-relative file. */
  label: string;
}

export const SCHEMA_STATE_KEY = 'modelLab.extraction.schemaFile';
export const SCHEMA_GLOB = '**/*.schema.json';
const BUILTIN_PICKS: { name: string; label: string; description: string }[] = [
  { name: 'conll04', label: 'Built-in: CoNLL04', description: 'Loc, Org, Peop, Other; 5 relation types' },
  { name: 'causal', label: 'Built-in: Causal', description: 'Cause, Effect; Cause-Effect with the words it rests on (SemEval-2010 Task 8)' },
];

/** A built-in schema by name (`conll04` when the name is unknown, e.g. from an older version). */
export function builtinSchema(name = 'conll04'): ActiveSchema {
  const schema = BUILTIN_SCHEMAS[name] ?? CONLL04_SCHEMA;
  return { schema, label: `${schema.name} (built-in)` };
}

/** The memento value of a built-in schema: `builtin` (CoNLL04, as before) or `builtin:<name>`. */
function builtinStateValue(name: string): string {
  return name === 'conll04' ? 'builtin' : `builtin:${name}`;
}

/** Reads and validates a schema file; throws the core's UserError (field pointer and line). */
export async function readSchemaFile(file: string): Promise<ActiveSchema> {
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.file(file));
  const schema = parseExtractionSchema(new TextDecoder().decode(bytes), file);
  return { schema, file, label: vscode.workspace.asRelativePath(file) };
}

export async function activeSchema(state: vscode.Memento): Promise<ActiveSchema> {
  const picked = state.get<string>(SCHEMA_STATE_KEY);
  if (picked === 'builtin') return builtinSchema();
  if (picked?.startsWith('builtin:')) return builtinSchema(picked.slice('builtin:'.length));
  if (picked) return readSchemaFile(picked);
  const configured = extractionSettings().schema;
  if (!configured) return builtinSchema();
  const folder = vscode.workspace.workspaceFolders?.[0];
  const file = path.isAbsolute(configured) || !folder ? configured : path.resolve(folder.uri.fsPath, configured);
  return readSchemaFile(file);
}

/**
 * Quick pick of the workspace's `*.schema.json` files that parse as extraction schemas (JSON
 * Schemas and broken files are left out), after the built-in schemas (CoNLL04, causal).
 */
export async function pickSchema(state: vscode.Memento): Promise<ActiveSchema | undefined> {
  const files = await vscode.workspace.findFiles(SCHEMA_GLOB, '**/node_modules/**', 500);
  const current = state.get<string>(SCHEMA_STATE_KEY);
  const items: (vscode.QuickPickItem & { file?: string; builtin?: string })[] = BUILTIN_PICKS.map((b) => ({
    label: b.label, description: b.description, builtin: b.name, picked: current === builtinStateValue(b.name),
  }));
  for (const uri of files.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
    try {
      const s = await readSchemaFile(uri.fsPath);
      const n = s.schema;
      items.push({
        label: s.label,
        description: `${n.name}: ${n.entities.length} entity, ${n.relations.length} relation, ${n.events.length} event types`,
        file: uri.fsPath,
        picked: current === uri.fsPath,
      });
    } catch {
      // Not an extraction schema (e.g. a JSON Schema file): not offered.
    }
  }
  const choice = await vscode.window.showQuickPick(items, { title: 'Extraction schema', placeHolder: 'Schema for Model Lab: Extract Information' });
  if (!choice) return undefined;
  await state.update(SCHEMA_STATE_KEY, choice.file ?? builtinStateValue(choice.builtin ?? 'conll04'));
  return choice.file ? readSchemaFile(choice.file) : builtinSchema(choice.builtin);
}
