import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';

/**
 * Where and why a text is not JSON, without quoting it: `JSON.parse`'s own messages include a
 * snippet of the text ("Unexpected token 'r', "root:x:0:0"... is not valid JSON"), and the
 * file may be any file on the machine (a setting, a flag or an experiment can name any path).
 */
export const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'invalid symbol (strings need double quotes)',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'property name expected (in double quotes)',
  ValueExpected: 'value expected',
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: 'end of file expected (only one top-level value is allowed)',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character in string',
  InvalidCharacter: 'invalid character in string (control characters must be escaped)',
};

export interface JsonSyntaxProblem {
  /** 1-based. */
  line: number;
  column: number;
  reason: string;
}

/** The first syntax problem of `text` as strict JSON (no comments, no trailing commas). */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const offset = first?.offset ?? 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  const code = first ? printParseErrorCode(first.error) : undefined;
  const reason = text.trim() === '' ? 'the file is empty' : code ? SYNTAX_MESSAGES[code] ?? code : 'not valid JSON';
  return { line, column: offset - lineStart + 1, reason };
}

/** "invalid JSON at line 3, column 7: ',' expected". */
export function jsonSyntaxMessage(text: string): string {
  const p = jsonSyntaxProblem(text);
  return `invalid JSON at line ${p.line}, column ${p.column}: ${p.reason}`;
}

/** `JSON.parse`, whose error names where and why but quotes nothing of the text. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SyntaxError(jsonSyntaxMessage(text));
  }
}
