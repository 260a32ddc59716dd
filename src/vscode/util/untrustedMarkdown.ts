import * as vscode from 'vscode';

/**
 * A hover or tooltip whose markdown was built with `md`/`escapeMarkdown` (see `markdown.ts`):
 * no command links, no HTML, no theme icons, whatever the defaults become.
 */
export function untrustedMarkdown(value: string): vscode.MarkdownString {
  const m = new vscode.MarkdownString(value, false);
  m.isTrusted = false;
  m.supportHtml = false;
  return m;
}
