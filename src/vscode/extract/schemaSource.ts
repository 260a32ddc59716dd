import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONLL04_SCHEMA, parseExtractionSchema, type ExtractionSchema } from '../../core/extract/schema';
import { extractionSettings } from './extractionSettings';

/**
 * Which extraction schema is active: the one picked with "Select Extraction Schema"
 * (remembered per workspace), else the `modelLab.extraction.schema` setting, else the built-in
 * CoNLL04 schema (the one the built-in model was trained on).
 */
export interface ActiveSchema {
  schema: ExtractionSchema;
  /** The schema file, or undefined for the built-in CoNLL04 schema. */
  file?: string;
  /** For messages and the panel: "conll04 (built-in)" or the workspace-relative file. */
  label: string;
}

export const SCHEMA_STATE_KEY = 'modelLab.extraction.schemaFile';
export const SCHEMA_GLOB = '**/*.schema.json';
const BUILTIN_LABEL = 'Built-in: CoNLL04';

export function builtinSchema(): ActiveSchema {
  return { schema: CONLL04_SCHEMA, label: `${CONLL04_SCHEMA.name} (built-in)` };
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
  if (picked) return readSchemaFile(picked);
  const configured = extractionSettings().schema;
  if (!configured) return builtinSchema();
  const folder = vscode.workspace.workspaceFolders?.[0];
  const file = path.isAbsolute(configured) || !folder ? configured : path.resolve(folder.uri.fsPath, configured);
  return readSchemaFile(file);
}

/**
 * Quick pick of the workspace's `*.schema.json` files that parse as extraction schemas (JSON
 * Schemas and broken files are left out), plus the built-in CoNLL04 schema.
 */
export async function pickSchema(state: vscode.Memento): Promise<ActiveSchema | undefined> {
  const files = await vscode.workspace.findFiles(SCHEMA_GLOB, '**/node_modules/**', 500);
  const items: (vscode.QuickPickItem & { file?: string })[] = [{ label: BUILTIN_LABEL, description: 'Loc, Org, Peop, Other; 5 relation types' }];
  const current = state.get<string>(SCHEMA_STATE_KEY);
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
  await state.update(SCHEMA_STATE_KEY, choice.file ?? 'builtin');
  return choice.file ? readSchemaFile(choice.file) : builtinSchema();
}
