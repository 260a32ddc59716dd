/** Text from files and runs (layer names, reasons, ids) is shown as text, never as markdown. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}
