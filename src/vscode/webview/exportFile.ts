import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportFileName, PNG_DATA_URL_PREFIX, type ExportFormat, type ExportRequest } from '../../panels/shared/export';

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  svg: { 'SVG image': ['svg'] },
  png: { 'PNG image': ['png'] },
  csv: { 'CSV (comma-separated values)': ['csv'] },
  json: { JSON: ['json'] },
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The folder the save dialog opens in: the last one used, else the first workspace folder, else home. */
let lastFolder: vscode.Uri | undefined;

/**
 * Saves what a panel exported (a validated `ExportRequest`) where the user picks in the save
 * dialog, and offers to open it. Undefined when the dialog was cancelled. The webview only
 * produces content; the host decides where it goes and writes it.
 */
export async function saveExport(req: ExportRequest, log: vscode.LogOutputChannel): Promise<vscode.Uri | undefined> {
  const bytes = exportBytes(req);
  const folder = lastFolder ?? vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(folder, exportFileName(req.name, req.format)),
    filters: FILTERS[req.format],
    saveLabel: 'Export',
    title: `Export ${req.format === 'csv' || req.format === 'json' ? 'data' : 'chart'} as ${req.format.toUpperCase()}`,
  });
  if (!target) return undefined;
  try {
    await vscode.workspace.fs.writeFile(target, bytes);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not export to ${target.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  lastFolder = vscode.Uri.joinPath(target, '..');
  log.info(`exported ${req.format.toUpperCase()} (${bytes.length} bytes) to ${target.fsPath}`);
  void vscode.window.showInformationMessage(`Exported ${path.basename(target.fsPath)}`, 'Open').then((choice) => {
    if (choice === 'Open') void vscode.commands.executeCommand('vscode.open', target);
  });
  return target;
}

/** The file's bytes; a PNG must decode to a PNG (a webview's data URL is untrusted). */
export function exportBytes(req: ExportRequest): Uint8Array {
  if (req.format !== 'png') return Buffer.from(req.content, 'utf8');
  const bytes = Buffer.from(req.content.slice(PNG_DATA_URL_PREFIX.length), 'base64');
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('the exported PNG is not a PNG image');
  return bytes;
}
