import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Grounder, boundedLevenshtein, normaliseSpan } from '../../../src/core/extract/grounding';
import { createRng } from '../../../src/core/util/random';

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

/** Prose-like text of pseudo-words (deterministic), `chars` long. */
function prose(chars: number, seed: number): string {
  const rng = createRng(seed);
  const syllables = ['ka', 'lo', 'mi', 'ren', 'tas', 'vo', 'ul', 'bri', 'gen', 'do', 'sa', 'pe', 'ny', 'th', 'or'];
  const words: string[] = [];
  let n = 0;
  while (n < chars) {
    let w = Array.from({ length: 1 + rng.int(3) }, () => syllables[rng.int(syllables.length)]).join('');
    if (rng.next() < 0.15) w = w[0].toUpperCase() + w.slice(1);
    if (rng.next() < 0.08) w += rng.next() < 0.5 ? ',' : '.';
    words.push(w);
    n += w.length + 1;
  }
  return words.join(' ').slice(0, chars);
}

test('invented spans cost a bounded amount of work each, whatever the length of the input', () => {
  const perSpan: number[] = [];
  for (const chars of [2_000, 20_000]) {
    const input = prose(chars, 11);
    const rng = createRng(5);
    const grounder = new Grounder(input);
    const built = grounder.work;
    const spans = 2_000;
    for (let i = 0; i < spans; i++) {
      // A window of the input with a third of its letters changed: nowhere in it, not even fuzzily.
      const start = rng.int(input.length - 60);
      const window = input.slice(start, start + 20 + rng.int(40));
      const invented = [...window].map((c) => (/[a-z]/.test(c) && rng.next() < 0.35 ? 'q' : c)).join('');
      grounder.ground(invented);
    }
    perSpan.push((grounder.work - built) / spans);
  }
  // Before, each such span could spend the whole fuzzy budget (2,000,000 DP cells, ~13 ms).
  assert.ok(perSpan[1] < 20_000, `work per span on 20 KB: ${perSpan[1]}`);
  assert.ok(perSpan[1] < 3 * perSpan[0] + 2_000, `work per span grows with the input: ${perSpan.join(' -> ')}`);
  // Meanwhile one-typo spans of a long input still ground fuzzily, at their place.
  const input = prose(20_000, 12);
  const grounder = new Grounder(input);
  const rng = createRng(9);
  for (let i = 0; i < 50; i++) {
    const from = input.indexOf(' ', rng.int(input.length - 80)) + 1;
    const to = input.indexOf(' ', from + 30);
    const want = input.slice(from, to);
    const at = 3 + rng.int(want.length - 6);
    const typo = want.slice(0, at) + (want[at] === 'x' ? 'z' : 'x') + want.slice(at + 1);
    const g = grounder.ground(typo, from);
    assert.ok(g && (g.kind === 'fuzzy' || g.kind === 'normalised'), `${typo} -> ${JSON.stringify(g)}`);
    assert.equal(input.slice(g.start, g.end), g.text);
    assert.ok(Math.abs(g.start - from) <= 2, `${typo} grounded at ${g.start}, expected ~${from}`);
  }
});

test('the total work of one Grounder is capped: past the cap nothing more is grounded', () => {
  const input = prose(5_000, 4);
  const from = input.indexOf(' ', 100) + 1;
  const real = input.slice(from, input.indexOf(' ', from + 20));
  const grounder = new Grounder(input, { maxWork: 60_000 });
  assert.equal(grounder.ground(real)?.start, from);
  let calls = 0;
  while (grounder.work <= 60_000 && calls < 100_000) {
    grounder.ground('qqqq wwww eeee rrrr tttt yyyy uuuu');
    calls++;
  }
  assert.ok(calls < 100_000, 'the invented spans use up the budget');
  assert.equal(grounder.ground(real), undefined, 'a real span past the cap is not looked up');
});

test('token boundaries: a span is not grounded inside a longer word', () => {
  const input = 'The Smithsonian hired Ann Smith-Jones; Smith arrived later.';
  assert.equal(check(input, 'Smith')?.start, input.indexOf('Smith-'));
  assert.equal(check(input, 'Smith', 40)?.start, input.lastIndexOf('Smith'));
  assert.equal(new Grounder('Smithsonian').ground('Smith'), undefined);
  // Scripts without spaces are matched character by character.
  assert.deepEqual(check('\u5317\u4eac\u662f\u4e2d\u56fd\u7684\u9996\u90fd', '\u4e2d\u56fd'), { start: 3, end: 5, text: '\u4e2d\u56fd', kind: 'exact' });
});

test('bidirectional controls: trimmed from the ends of a match, a match with one inside is not grounded', () => {
  const input = 'Paid to \u202EEvil Corp\u202C today; Bo\u2067b\u2069 signed.';
  const g = check(input, '\u202EEvil Corp\u202C');
  assert.deepEqual([g?.text, g?.start], ['Evil Corp', input.indexOf('Evil')]);
  assert.equal(check(input, 'Evil Corp')?.text, 'Evil Corp');
  assert.equal(new Grounder(input).ground('Bo\u2067b\u2069'), undefined);
});
