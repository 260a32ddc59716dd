/**
 * A small GBNF recogniser for the grammars `extractionGbnf` produces (literals with escapes,
 * character classes, rule references, groups, alternation, `*`, `+`, `?`), so tests check what
 * the grammar actually derives rather than how its text looks. Matching is by sets of end
 * positions (no left recursion in our grammars).
 */
type Node =
  | { kind: 'lit'; value: string }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] }
  | { kind: 'ref'; name: string }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'rep'; node: Node; min: number; max: number };

export class Gbnf {
  readonly rules = new Map<string, Node>();

  constructor(source: string) {
    const lines = source.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    for (const line of lines) {
      const m = /^([a-zA-Z0-9-]+)\s*::=\s*(.*)$/.exec(line);
      if (!m) throw new Error(`bad rule line: ${line}`);
      const p = new Parser(m[2]);
      this.rules.set(m[1], p.parseAlt());
      if (!p.done()) throw new Error(`trailing input in rule ${m[1]}: ${p.rest()}`);
    }
  }

  /** Whether `rule` derives exactly `text`. */
  matches(text: string, rule = 'root'): boolean {
    const node = this.rules.get(rule);
    if (!node) throw new Error(`no rule ${rule}`);
    return this.match(node, text, 0).has(text.length);
  }

  private match(node: Node, s: string, pos: number, depth = 0): Set<number> {
    if (depth > 200) throw new Error('grammar too deep');
    switch (node.kind) {
      case 'lit':
        return s.startsWith(node.value, pos) ? new Set([pos + node.value.length]) : new Set();
      case 'class': {
        const cp = s.codePointAt(pos);
        if (cp === undefined) return new Set();
        const inside = node.ranges.some(([a, b]) => cp >= a && cp <= b);
        return inside !== node.negated ? new Set([pos + (cp > 0xffff ? 2 : 1)]) : new Set();
      }
      case 'ref': {
        const r = this.rules.get(node.name);
        if (!r) throw new Error(`undefined rule ${node.name}`);
        return this.match(r, s, pos, depth + 1);
      }
      case 'seq': {
        let cur = new Set([pos]);
        for (const item of node.items) {
          const next = new Set<number>();
          for (const p of cur) for (const e of this.match(item, s, p, depth + 1)) next.add(e);
          cur = next;
          if (cur.size === 0) break;
        }
        return cur;
      }
      case 'alt': {
        const out = new Set<number>();
        for (const o of node.options) for (const e of this.match(o, s, pos, depth + 1)) out.add(e);
        return out;
      }
      case 'rep': {
        const out = new Set<number>();
        let frontier = new Set([pos]);
        if (node.min === 0) out.add(pos);
        for (let count = 1; count <= node.max && frontier.size > 0; count++) {
          const next = new Set<number>();
          for (const p of frontier) for (const e of this.match(node.node, s, p, depth + 1)) if (e !== p) next.add(e);
          if (count >= node.min) for (const e of next) out.add(e);
          frontier = next;
        }
        return out;
      }
    }
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}
  done(): boolean { this.ws(); return this.i >= this.s.length; }
  rest(): string { return this.s.slice(this.i); }
  private ws(): void { while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++; }

  parseAlt(): Node {
    const options = [this.parseSeq()];
    this.ws();
    while (this.s[this.i] === '|') { this.i++; options.push(this.parseSeq()); this.ws(); }
    return options.length === 1 ? options[0] : { kind: 'alt', options };
  }

  private parseSeq(): Node {
    const items: Node[] = [];
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === undefined || c === '|' || c === ')') break;
      let atom = this.parseAtom();
      const q = this.s[this.i];
      if (q === '*') { this.i++; atom = { kind: 'rep', node: atom, min: 0, max: Infinity }; }
      else if (q === '+') { this.i++; atom = { kind: 'rep', node: atom, min: 1, max: Infinity }; }
      else if (q === '?') { this.i++; atom = { kind: 'rep', node: atom, min: 0, max: 1 }; }
      items.push(atom);
    }
    return items.length === 1 ? items[0] : { kind: 'seq', items };
  }

  private parseAtom(): Node {
    const c = this.s[this.i];
    if (c === '"') return { kind: 'lit', value: this.readUntil('"') };
    if (c === '[') {
      this.i++;
      const negated = this.s[this.i] === '^';
      if (negated) this.i++;
      const ranges: [number, number][] = [];
      while (this.s[this.i] !== ']') {
        const a = this.readChar();
        if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']') { this.i++; ranges.push([a, this.readChar()]); }
        else ranges.push([a, a]);
      }
      this.i++;
      return { kind: 'class', negated, ranges };
    }
    if (c === '(') {
      this.i++;
      const inner = this.parseAlt();
      this.ws();
      if (this.s[this.i] !== ')') throw new Error('expected )');
      this.i++;
      return inner;
    }
    const m = /^[a-zA-Z0-9-]+/.exec(this.s.slice(this.i));
    if (!m) throw new Error(`unexpected ${c} at ${this.i}`);
    this.i += m[0].length;
    return { kind: 'ref', name: m[0] };
  }

  private readUntil(end: string): string {
    this.i++;
    let out = '';
    while (this.s[this.i] !== end) {
      if (this.i >= this.s.length) throw new Error('unterminated literal');
      out += String.fromCodePoint(this.readChar());
    }
    this.i++;
    return out;
  }

  private readChar(): number {
    const c = this.s[this.i];
    if (c !== '\\') { const cp = this.s.codePointAt(this.i)!; this.i += cp > 0xffff ? 2 : 1; return cp; }
    const e = this.s[this.i + 1];
    this.i += 2;
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', ']': ']', '[': '[', '-': '-' };
    if (e in simple) return simple[e].codePointAt(0)!;
    const len = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (!len) throw new Error(`bad escape \\${e}`);
    const hex = this.s.slice(this.i, this.i + len);
    this.i += len;
    return parseInt(hex, 16);
  }
}
