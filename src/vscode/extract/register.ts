import * as path from 'node:path';
import * as vscode from 'vscode';
import { isUserError } from '../../core/errors';
import { DEFAULT_BASE_URLS } from '../../core/extract/providers/kinds';
import { ApiKeys, endpointOrigin } from './apiKeys';
import { JobCancelledError, JobProcess } from '../../runner/jobProcess';
import { ExtractPanel, ExtractPanelSerializer, EXTRACT_VIEW_TYPE } from './extractPanel';
import { extractionSettings } from './extractionSettings';
import { EditorHighlights } from './editorHighlights';
import { MAX_TEXT_LENGTH, type ExtractPanelState } from '../../panels/extract/messages';
import { runExtraction } from './runExtraction';
import { activeSchema, pickSchema } from './schemaSource';
import { sourceLabel, typeColors } from '../../panels/extract/viewModel';

export interface ExtractionDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
}

/**
 * Information extraction in the editor: Extract Information on the selection (built-in model
 * by default, offline), the results panel, editor highlights, schema selection and the API
 * key command. Nothing leaves the machine unless the user set a remote provider.
 */
export function registerExtraction({ context, log }: ExtractionDeps): vscode.Disposable {
  const highlights = new EditorHighlights();
  const panelDeps = { extensionUri: context.extensionUri, log };
  // Extraction runs in a runner process, kept warm between extractions (the built-in model stays loaded).
  const jobs = new JobProcess({
    label: 'extraction',
    workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'runWorker.js').fsPath,
    onLog: (level, line) => log[level](line),
  });
  const keys = new ApiKeys(context.secrets);
  void keys.migrate(vscode.workspace.getConfiguration('modelLab.extraction').inspect<string>('baseUrl')?.globalValue)
    .catch((e) => log.warn(`extraction: could not move the saved API key to its endpoint: ${e instanceof Error ? e.message : String(e)}`));

  const extract = async (): Promise<void> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Model Lab: open a text file and select the text to extract information from.');
      return;
    }
    const doc = editor.document;
    const range = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : new vscode.Range(editor.selection.start, editor.selection.end);
    const text = doc.getText(range);
    if (!text.trim()) {
      void vscode.window.showInformationMessage('Model Lab: the selection is empty; select the text to extract information from.');
      return;
    }
    if (text.length > MAX_TEXT_LENGTH) {
      void vscode.window.showErrorMessage(`Model Lab: the selection is too long (${text.length} characters, at most ${MAX_TEXT_LENGTH}).`);
      return;
    }
    // The last line with selected text (a selection ending at the start of a line ends before it).
    const endLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
    const source = sourceLabel(path.basename(doc.fileName), range.start.line, endLine);
    const settings = extractionSettings();
    const abort = new AbortController();
    try {
      const schema = await activeSchema(context.workspaceState);
      // Only the key entered for this endpoint's origin (see apiKeys.ts).
      const apiKey = settings.provider === 'openai' ? await keys.get(settings.baseUrl) : undefined;
      const where = settings.provider === 'builtin' ? 'built-in model' : `${settings.provider} at ${settings.baseUrl}`;
      // Logged without the text or any key: only what ran and how big it was.
      log.info(`extraction: ${text.length} characters, schema ${schema.label}, ${where}`);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Model Lab: extracting (${where})`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            return await runExtraction({
              jobs, settings, text, schema: schema.schema, apiKey, signal: abort.signal,
              onProgress: (message) => progress.report({ message }),
            });
          } finally {
            sub.dispose();
          }
        },
      );
      const state: ExtractPanelState = {
        text,
        result,
        schemaName: schema.schema.name,
        entityTypes: schema.schema.entities.map((e) => e.type),
        source,
        createdAt: new Date().toISOString(),
        document: doc.uri.toString(),
        offset: doc.offsetAt(range.start),
      };
      highlights.set(doc, doc.offsetAt(range.start), result, typeColors(state.entityTypes, result.entities));
      ExtractPanel.show(panelDeps, state);
      log.info(`extraction: ${result.entities.length} entities, ${result.relations.length} relations, ${result.events.length} events, ${result.ungrounded} ungrounded (${result.provider})`);
    } catch (e) {
      // Whatever a cancelled job ends with (its process killed, fetch's AbortError) is a cancel.
      if (e instanceof JobCancelledError || abort.signal.aborted) {
        log.info('extraction: cancelled');
        return;
      }
      let message = isUserError(e) ? e.format() : e instanceof Error ? e.message : String(e);
      if (settings.provider === 'openai' && /HTTP 40[13]\b/.test(message) && !(await keys.get(settings.baseUrl).catch(() => undefined))) {
        message += ` No API key is saved for ${endpointOrigin(settings.baseUrl)}: run "Model Lab: Set Extraction API Key".`;
      }
      log.error(`extraction failed: ${message}`);
      // The previous result no longer answers the latest request: clear it, say why.
      highlights.clear();
      ExtractPanel.showFailure(source, `Extraction failed: ${message}`);
      void vscode.window.showErrorMessage(`Model Lab: extraction failed: ${message}`);
    }
  };

  const selectSchema = async (): Promise<void> => {
    try {
      const picked = await pickSchema(context.workspaceState);
      if (picked) void vscode.window.setStatusBarMessage(`$(check) Extraction schema: ${picked.label}`, 4000);
    } catch (e) {
      void vscode.window.showErrorMessage(`Model Lab: ${isUserError(e) ? e.format() : e instanceof Error ? e.message : String(e)}`);
    }
  };

  const setApiKey = async (): Promise<void> => {
    let origin: string;
    const { baseUrl } = extractionSettings();
    try {
      origin = endpointOrigin(baseUrl || DEFAULT_BASE_URLS.openai);
    } catch (e) {
      void vscode.window.showErrorMessage(`Model Lab: ${isUserError(e) ? e.format() : String(e)}`);
      return;
    }
    const key = await vscode.window.showInputBox({
      title: `API key for ${origin}`,
      prompt: `Stored in VS Code's secret storage and sent only to ${origin} (the origin of modelLab.extraction.baseUrl). Leave empty to remove it.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return;
    if (key.trim()) {
      await keys.set(origin, key.trim());
      void vscode.window.showInformationMessage(`Model Lab: API key for ${origin} saved in secret storage.`);
    } else {
      await keys.delete(origin);
      void vscode.window.showInformationMessage(`Model Lab: API key for ${origin} removed.`);
    }
  };

  const toggle = (): void => {
    const on = highlights.toggle();
    void vscode.window.setStatusBarMessage(`Model Lab: extraction highlights ${on ? 'shown' : 'hidden'}`, 3000);
  };

  return vscode.Disposable.from(
    highlights,
    { dispose: () => jobs.dispose() },
    vscode.commands.registerCommand('modelLab.extractInformation', extract),
    vscode.commands.registerCommand('modelLab.selectExtractionSchema', selectSchema),
    vscode.commands.registerCommand('modelLab.setExtractionApiKey', setApiKey),
    vscode.commands.registerCommand('modelLab.toggleExtractionHighlights', toggle),
    vscode.window.registerWebviewPanelSerializer(EXTRACT_VIEW_TYPE, new ExtractPanelSerializer(panelDeps)),
  );
}
