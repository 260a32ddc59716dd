import * as vscode from 'vscode';
import type { ExtractionResult } from '../../core/extract/types';
import { md } from '../util/markdown';
import { untrustedMarkdown } from '../util/untrustedMarkdown';
import { shiftSpans } from './spanEdits';
import { entityHover, rationaleMarks, TYPE_COLORS, type TypeColor } from '../../panels/extract/viewModel';

/** Editor-side span backgrounds (the underline uses the theme's opaque `charts.*` colour). */
const BACKGROUNDS: Record<TypeColor, string> = {
  blue: 'rgba(55, 148, 255, 0.16)',
  orange: 'rgba(209, 134, 22, 0.16)',
  green: 'rgba(137, 209, 133, 0.16)',
  purple: 'rgba(183, 128, 255, 0.16)',
  red: 'rgba(241, 76, 76, 0.16)',
  yellow: 'rgba(204, 167, 0, 0.16)',
};

interface Highlight {
  /** Document offsets (UTF-16 code units), kept up to date as the document is edited. */
  start: number;
  end: number;
  /** An entity type's colour, or `rationale` for a word a relation rests on (dotted underline). */
  color: TypeColor | 'rationale';
  hover: string;
}

/**
 * Entity spans of the last extraction decorated in their editor: a coloured underline and
 * background per type and a hover with the type, how the span was grounded and the relations
 * it takes part in; the words a relation rests on (its rationale, e.g. the causal schema's)
 * get a dotted underline whose hover gives their scores. An edit that
 * touches a span removes its highlight (the text no longer is what was extracted); spans
 * after an edit move with it. The highlights can be toggled off and on.
 */
export class EditorHighlights implements vscode.Disposable {
  private readonly types = new Map<TypeColor | 'rationale', vscode.TextEditorDecorationType>();
  private readonly byDocument = new Map<string, Highlight[]>();
  private readonly disposables: vscode.Disposable[] = [];
  private enabled = true;

  constructor() {
    for (const c of TYPE_COLORS) {
      this.types.set(c, vscode.window.createTextEditorDecorationType({
        backgroundColor: BACKGROUNDS[c],
        borderStyle: 'none none solid none',
        borderWidth: '0 0 2px 0',
        borderColor: new vscode.ThemeColor(`charts.${c}`),
        overviewRulerColor: new vscode.ThemeColor(`charts.${c}`),
        overviewRulerLane: vscode.OverviewRulerLane.Center,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }));
    }
    this.types.set('rationale', vscode.window.createTextEditorDecorationType({
      textDecoration: 'underline dotted 2px',
      overviewRulerColor: new vscode.ThemeColor('editorInfo.foreground'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }));
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.byDocument.delete(d.uri.toString())),
      vscode.window.onDidChangeVisibleTextEditors(() => this.renderAll()),
    );
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Replaces the highlights of `document` with the spans of `result`, found in the text starting at `baseOffset`. */
  set(document: vscode.TextDocument, baseOffset: number, result: ExtractionResult, colors: Map<string, TypeColor>): void {
    const entities: Highlight[] = result.entities.map((e) => ({
      start: baseOffset + e.start,
      end: baseOffset + e.end,
      color: colors.get(e.type) ?? TYPE_COLORS[0],
      hover: entityHover(e, result.provider, result.relations),
    }));
    const rationale: Highlight[] = rationaleMarks(result).map((m) => ({ start: baseOffset + m.start, end: baseOffset + m.end, color: 'rationale', hover: m.hover }));
    this.byDocument.set(document.uri.toString(), [...entities, ...rationale]);
    this.enabled = true;
    this.renderAll();
  }

  /** Removes every highlight (the result they showed is gone). */
  clear(): void {
    this.byDocument.clear();
    this.renderAll();
  }

  toggle(): boolean {
    this.enabled = !this.enabled;
    this.renderAll();
    return this.enabled;
  }

  /** Number of highlights currently kept for `uri` (shown or toggled off). */
  count(uri: vscode.Uri): number {
    return this.byDocument.get(uri.toString())?.length ?? 0;
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    let list = this.byDocument.get(key);
    if (!list || e.contentChanges.length === 0) return;
    // The extension host applies the changes one after the other in this order, so each
    // change's offsets refer to the document as the previous ones left it: apply them likewise.
    for (const c of e.contentChanges) list = shiftSpans(list, c.rangeOffset, c.rangeLength, c.text.length);
    if (list.length) this.byDocument.set(key, list);
    else this.byDocument.delete(key);
    this.renderAll();
  }

  private renderAll(): void {
    for (const editor of vscode.window.visibleTextEditors) this.render(editor);
  }

  private render(editor: vscode.TextEditor): void {
    const list = this.enabled ? this.byDocument.get(editor.document.uri.toString()) ?? [] : [];
    for (const [color, type] of this.types) {
      const options: vscode.DecorationOptions[] = list
        .filter((h) => h.color === color)
        .map((h) => ({
          range: new vscode.Range(editor.document.positionAt(h.start), editor.document.positionAt(h.end)),
          hoverMessage: untrustedMarkdown(md`**Model Lab extraction**: ${h.hover}`),
        }));
      editor.setDecorations(type, options);
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const t of this.types.values()) t.dispose();
    this.byDocument.clear();
  }
}
