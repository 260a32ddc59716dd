#!/usr/bin/env node
// Rebuilds fortunes-train.jsonl and fortunes-test.jsonl from Debian's `fortunes` package:
//   apt-get install fortunes && node examples/text/make-fortunes-dataset.mjs [/usr/share/games/fortunes]
// Deterministic: the same package version gives byte-identical files.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CATEGORIES = ['computers', 'education', 'food', 'law', 'science', 'sports'];
const MAX_PER_CLASS = 300;
const MIN_CHARS = 20;
const MAX_CHARS = 600;
const TEST_FRACTION = 0.2;

const source = process.argv[2] ?? '/usr/share/games/fortunes';
const outDir = dirname(fileURLToPath(import.meta.url));

// mulberry32: a tiny seeded PRNG, so the sample and split are reproducible.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle(arr, next) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

const train = [];
const test = [];
const next = rng(20240501);
for (const label of CATEGORIES) {
  const raw = readFileSync(join(source, label), 'latin1');
  const texts = raw
    .split(/^%$/m)
    .map((t) =>
      t
        .replace(/.\x08/g, '') // overstrike (x BACKSPACE y) -> y
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((t) => t.length >= MIN_CHARS && t.length <= MAX_CHARS);
  const unique = [...new Set(texts)];
  const picked = shuffle(unique, next).slice(0, MAX_PER_CLASS);
  const nTest = Math.round(picked.length * TEST_FRACTION);
  picked.forEach((text, i) => (i < nTest ? test : train).push({ text, label }));
}
const write = (name, rows) => writeFileSync(join(outDir, name), shuffle(rows, next).map((r) => JSON.stringify(r)).join('\n') + '\n');
write('fortunes-train.jsonl', train);
write('fortunes-test.jsonl', test);
console.log(`train ${train.length}, test ${test.length}`);
for (const c of CATEGORIES) console.log(c, train.filter((r) => r.label === c).length, test.filter((r) => r.label === c).length);
