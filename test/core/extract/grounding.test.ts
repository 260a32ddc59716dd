import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Grounder, boundedLevenshtein, normaliseSpan } from '../../../src/core/extract/grounding';

/** Every grounded span must be the input's own text at its offsets. */
function check(input: string, span: string, hint?: number) {
  const g = new Grounder(input).ground(span, hint);
  if (g) assert.equal(input.slice(g.start, g.end), g.text);
  return g;
}

test('exact match returns UTF-16 offsets of the first occurrence', () => {
  const g = check('John Smith met Mary Jones in Paris.', 'Mary Jones');
  assert.deepEqual(g, { start: 15, end: 25, text: 'Mary Jones', kind: 'exact' });
});

test('repeated spans: the occurrence nearest the hint wins, else the first', () => {
  const input = 'Paris is big. I love Paris. Paris, again.';
  assert.equal(check(input, 'Paris')!.start, 0);
  assert.equal(check(input, 'Paris', 20)!.start, 21);
  assert.equal(check(input, 'Paris', 100)!.start, 28);
  assert.equal(check(input, 'Paris', 27)!.start, 28);
});

test('normalised: case, whitespace runs, typographic quotes and dashes map back to original offsets', () => {
  const input = 'He said \u201Cthe  New\nYork\u201D office \u2013 the O\u2019Brien\u2013Smith deal';
  const a = check(input, 'new york');
  assert.equal(a?.kind, 'normalised');
  assert.equal(a?.text, 'New\nYork');
  const b = check(input, "O'Brien-Smith");
  assert.equal(b?.kind, 'normalised');
  assert.equal(b?.text, 'O\u2019Brien\u2013Smith');
  const c = check(input, '"the New York"');
  assert.equal(c?.text, '\u201Cthe  New\nYork\u201D');
});

test('NFKC and combining characters: decomposed input matches a precomposed span and keeps marks', () => {
  const input = 'Cafe\u0301 Ame\u0301lie in Zu\u0308rich'; // e + combining acute, u + combining diaeresis
  const g = check(input, 'Café Amélie');
  assert.equal(g?.kind, 'normalised');
  assert.equal(g?.text, 'Cafe\u0301 Ame\u0301lie');
  // A span that ends between a base letter and its combining mark is not a span of the text.
  const inner = new Grounder(input).ground('Cafe');
  assert.notEqual(inner?.text, 'Cafe');
  // Full-width letters normalise (NFKC) to ASCII.
  const wide = check('Visit \uFF34\uFF4F\uFF4B\uFF59\uFF4F now', 'Tokyo');
  assert.equal(wide?.kind, 'normalised');
  assert.equal(wide?.text, '\uFF34\uFF4F\uFF4B\uFF59\uFF4F');
});

test('emoji and surrogate pairs: offsets are UTF-16 code units and never split a pair', () => {
  const input = '\u{1F600} Alice \u{1F1EB}\u{1F1F7} met Bob \u{1F468}\u200D\u{1F469}';
  const alice = check(input, 'Alice');
  assert.deepEqual([alice?.start, alice?.end], [3, 8]);
  const bob = check(input, 'bob');
  assert.equal(bob?.start, input.indexOf('Bob'));
  // A lone high surrogate (half an emoji) is not a span of the text.
  assert.equal(new Grounder(input).ground('\uD83D'), undefined);
  const flag = check(input, '\u{1F1EB}\u{1F1F7}');
  assert.equal(flag?.start, 9);
  assert.equal(flag?.end, 13);
});

test('fuzzy: a small misspelling of a long span grounds to the input span on word boundaries', () => {
  const input = 'The International Business Machines Corporation said on Monday that profits rose.';
  const g = check(input, 'International Busines Machines Corporation');
  assert.equal(g?.kind, 'fuzzy');
  assert.equal(g?.text, 'International Business Machines Corporation');
});

test('invented, empty and whitespace-only spans are not grounded', () => {
  const input = 'Barack Obama visited Berlin in 2008.';
  const grounder = new Grounder(input);
  for (const s of ['Angela Merkel', 'Obama visited Paris', '', '   ', 'Berlin Wall street market']) {
    assert.equal(grounder.ground(s), undefined, JSON.stringify(s));
  }
  // Short spans are not fuzzily matched (a one-letter change is 10%+ of them).
  assert.equal(grounder.ground('Berlim'), undefined);
  assert.equal(new Grounder('').ground('x'), undefined);
});

test('fuzzy search is bounded: a tiny cell budget gives up instead of scanning', () => {
  const input = 'alpha beta gamma delta epsilon zeta eta theta iota kappa '.repeat(50);
  const span = 'gamma delta epsilom zeta';
  assert.equal(new Grounder(input).ground(span)?.kind, 'fuzzy');
  assert.equal(new Grounder(input, { maxFuzzyCells: 10 }).ground(span), undefined);
});

test('boundedLevenshtein agrees with the plain distance inside the band', () => {
  const full = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    return d[a.length][b.length];
  };
  const pairs = [['kitten', 'sitting'], ['flaw', 'lawn'], ['abc', 'abc'], ['', 'ab'], ['intention', 'execution']];
  for (const [a, b] of pairs) {
    const d = full(a, b);
    assert.equal(boundedLevenshtein(a, b, 0, b.length, 10), d);
    if (d > 0) assert.equal(boundedLevenshtein(a, b, 0, b.length, d - 1), d, `${a}/${b} past the bound`);
  }
});

test('normaliseSpan folds case, quotes, dashes and whitespace', () => {
  assert.equal(normaliseSpan('  \u201CNew\t\tYork\u201D \u2014 City '), '"new york" - city');
});
