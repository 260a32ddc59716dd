import { stripControls } from '../../core/util/untrustedText';

/**
 * Markdown for hovers and tooltips (`vscode.MarkdownString`) built from text that came from
 * files: run folders, experiment files, extraction results. Such text is shown as text, never as
 * markdown: a crafted run folder must not be able to put a link or a remote image (a tracking
 * pixel, fetched as soon as the hover shows) into a hover, also in Restricted Mode.
 * The MarkdownStrings themselves are never trusted (`isTrusted`, `supportHtml` stay off).
 */

/**
 * `text` as literal markdown: every ASCII punctuation character backslash-escaped (CommonMark
 * allows it for each, and it also breaks bare `https://` autolinks), line breaks and control
 * characters flattened, so the value stays inside its line.
 */
export function escapeMarkdown(text: string): string {
  return stripControls(String(text)).replace(/[\r\n\t]+/g, ' ').replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/**
 * A template tag that escapes every interpolated value, whatever its type (a field that should
 * be a number may be a string in a crafted file): md`**${name}** · epoch ${epoch}`.
 */
export function md(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0];
  values.forEach((v, i) => { out += escapeMarkdown(String(v)) + strings[i + 1]; });
  return out;
}
