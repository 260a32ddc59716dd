import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as zlib from 'node:zlib';
import { UserError } from '../../../src/core/errors';
import { loadData } from '../../../src/core/data/load';
import type { LoadedData } from '../../../src/core/data/types';

const ROOT = path.resolve(__dirname, '../../..');
const DIGITS = path.join(ROOT, 'examples/digits/digits.csv.gz');

let dir = '';
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'load-data-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
const tmp = async (name: string, content: string | Buffer): Promise<string> => {
  const f = path.join(dir, name);
  await fs.writeFile(f, content);
  return f;
};

/** Each example's features as a string key, to compare splits as sets of rows. */
function rows(d: LoadedData, split: 'train' | 'test'): string[] {
  const w = d.exampleShape.reduce((a, b) => a * b, 1);
  const s = d[split];
  return Array.from({ length: s.count }, (_, i) => `${Array.from(s.x.subarray(i * w, (i + 1) * w)).join(',')}|${s.y[i]}`);
}

test('the shipped digits dataset: 1797 examples of 64 values, 10 classes, default 20% test split', async () => {
  const d = await loadData({ format: 'csv', train: DIGITS, label: 'last', scale: 16 }, { seed: 7 });
  assert.deepEqual(d.exampleShape, [64]);
  assert.equal(d.xDtype, 'float32');
  assert.equal(d.numClasses, 10);
  assert.equal(d.train.count + d.test.count, 1797);
  assert.equal(d.test.count, Math.round(1797 * 0.2));
  assert.equal(d.train.x.length, d.train.count * 64);
  let max = 0;
  let min = Infinity;
  for (const v of d.train.x) {
    max = Math.max(max, v);
    min = Math.min(min, v);
  }
  assert.equal(max, 1); // 16 / 16
  assert.equal(min, 0);
  const perClass = new Array(10).fill(0);
  for (const y of [...d.train.y, ...d.test.y]) perClass[y]++;
  for (const c of perClass) assert.ok(c > 150 && c < 200, `class count ${c}`);
});

test('the held-out split is reproducible with a seed, differs across seeds, and partitions the data', async () => {
  const cfg = { format: 'csv', train: DIGITS, label: 'last', testSplit: 0.25 } as const;
  const a = await loadData(cfg, { seed: 3 });
  const b = await loadData(cfg, { seed: 3 });
  const c = await loadData(cfg, { seed: 4 });
  assert.deepEqual(a.test.y, b.test.y);
  assert.deepEqual(a.test.x, b.test.x);
  assert.deepEqual(a.train.x, b.train.x);
  assert.notDeepEqual(rows(a, 'test'), rows(c, 'test'));
  assert.equal(a.test.count, Math.round(1797 * 0.25));
  const all = await loadData({ ...cfg, test: DIGITS }, { seed: 0 });
  assert.deepEqual([...rows(a, 'train'), ...rows(a, 'test')].sort(), rows(all, 'train').sort());
});

test('limit keeps the first N training examples before splitting; a test file is used as is', async () => {
  const text = Array.from({ length: 10 }, (_, i) => `${i},${i * 2},${i % 3}`).join('\n');
  const train = await tmp('limit.csv', text);
  const test = await tmp('limit-test.csv', '100,200,1\n');
  const d = await loadData({ format: 'csv', train, test, label: 'last', limit: 4, testSplit: 0.5 }, { seed: 1 });
  assert.equal(d.train.count, 4);
  assert.deepEqual([...d.train.x], [0, 0, 1, 2, 2, 4, 3, 6]);
  assert.deepEqual([...d.test.x], [100, 200]);
  const split = await loadData({ format: 'csv', train, label: 'last', limit: 4, testSplit: 0.5 }, { seed: 1 });
  assert.equal(split.train.count, 2);
  assert.equal(split.test.count, 2);
  assert.deepEqual([...split.train.x, ...split.test.x].sort((x, y) => x - y), [0, 0, 1, 2, 2, 3, 4, 6]);
});

test('gzip is detected by its magic bytes, not the file name', async () => {
  const csv = '1,2,0\n3,4,1\n5,6,1\n';
  const gzNamedCsv = await tmp('really-gzip.csv', zlib.gzipSync(csv));
  const plainNamedGz = await tmp('really-plain.csv.gz', csv);
  for (const train of [gzNamedCsv, plainNamedGz]) {
    const d = await loadData({ format: 'csv', train, test: train, label: 'last' }, { seed: 1 });
    assert.deepEqual([...d.train.x], [1, 2, 3, 4, 5, 6]);
  }
});

test('a gzip bomb is refused once it decompresses past the limit, with a message that says so', async () => {
  // 70 gzip members of 16 MiB of zeros: 1.1 MiB on disk, 1.1 GiB decompressed.
  const member = zlib.gzipSync(Buffer.alloc(16 * 2 ** 20));
  const bomb = await tmp('bomb.csv.gz', Buffer.concat(Array.from({ length: 70 }, () => member)));
  await assert.rejects(loadData({ format: 'csv', train: bomb, label: 'last' }, { seed: 1 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.pointer, '/data/train');
    assert.equal(e.file, bomb);
    assert.match(e.message, /^gzip data decompresses to more than 1 GiB \(from 1\.1 MiB\), the limit for a compressed data file/);
    return true;
  });
  const truncated = await tmp('truncated.csv.gz', zlib.gzipSync('1,2,0\n3,4,1\n').subarray(0, 12));
  await assert.rejects(loadData({ format: 'csv', train: truncated, label: 'last' }, { seed: 1 }), /corrupt gzip data/);
});

test('a scale that makes values overflow float32 is an error at /data/scale', async () => {
  const csv = await tmp('big.csv', '1e30,2,0\n3,4,1\n5,6,1\n');
  await assert.rejects(loadData({ format: 'csv', train: csv, label: 'last', scale: 1e-20 }, { seed: 1 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.pointer, '/data/scale');
    assert.match(e.message, /scale 1e-20 makes values overflow float32/);
    return true;
  });
});

test('CSV errors from loadData carry the data file, line and pointer', async () => {
  const bad = await tmp('bad.csv', '1,2,0\n3,4,1\n5,oops,1\n');
  await assert.rejects(loadData({ format: 'csv', train: DIGITS, test: bad, label: 'last' }, { seed: 1 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.pointer, '/data/test');
    assert.equal(e.file, bad);
    assert.equal(e.line, 3);
    assert.equal(e.column, 3);
    assert.match(e.format(), /bad\.csv:3:3: \/data\/test: not a number in column 2: "oops"/);
    return true;
  });
  const narrow = await tmp('narrow.csv', '1,0\n');
  await assert.rejects(loadData({ format: 'csv', train: DIGITS, test: narrow, label: 'last' }, { seed: 1 }), /the test file has 1 feature columns, the training file 64/);
  const one = await tmp('one.csv', '1,0\n');
  await assert.rejects(loadData({ format: 'csv', train: one, label: 'last' }, { seed: 1 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.pointer, '/data/testSplit');
    assert.match(e.message, /cannot hold out a test split from 1 example/);
    return true;
  });
  await assert.rejects(loadData({ format: 'csv', train: path.join(dir, 'none.csv'), label: 'last' }, { seed: 1 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.pointer, '/data/train');
    assert.match(e.message, /data file not found/);
    return true;
  });
});

test('csv with text labels: one sorted mapping over the training and test files', async () => {
  const train = await tmp('species-train.csv', 'a,b,species\n1,2,"virginica"\n3,4,"setosa"\n5,6,setosa\n');
  const test = await tmp('species-test.csv', 'a,b,species\n7,8,versicolor\n9,10,setosa\n');
  const d = await loadData({ format: 'csv', train, test, label: 'last', header: true }, { seed: 1 });
  assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.equal(d.numClasses, 3);
  assert.deepEqual([...d.train.y], [2, 0, 0]);
  assert.deepEqual([...d.test.y], [1, 0]);
  // Held-out split from one file: the mapping covers the whole file.
  const one = await loadData({ format: 'csv', train, label: 'last', header: true, testSplit: 0.34 }, { seed: 1 });
  assert.deepEqual(one.classNames, ['setosa', 'virginica']);
  assert.deepEqual([...one.train.y, ...one.test.y].sort(), [0, 0, 1]);
  // A test file of integer labels joins the names as text.
  const numeric = await tmp('numeric-test.csv', 'a,b,species\n7,8,0\n');
  const mixed = await loadData({ format: 'csv', train, test: numeric, label: 'last', header: true }, { seed: 1 });
  assert.deepEqual(mixed.classNames, ['0', 'setosa', 'virginica']);
  assert.deepEqual([...mixed.test.y], [0]);
});

test('jsonl: vocabulary from the training split, string labels in sorted order, padding and truncation', async () => {
  const train = await tmp(
    'train.jsonl',
    [
      { text: 'The cat sat', label: 'pets' },
      { text: 'the dog, the cat!', label: 'pets' },
      { text: 'Stocks fell', label: 'business' },
      { text: 'the market rose and rose and rose', label: 'business' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const test = await tmp('test.jsonl', JSON.stringify({ text: 'A cat market', label: 'business' }) + '\n');
  const d = await loadData({ format: 'jsonl', train, test, maxLength: 4, vocabSize: 5 }, { seed: 1 });
  assert.equal(d.xDtype, 'int32');
  assert.deepEqual(d.exampleShape, [4]);
  assert.deepEqual(d.classNames, ['business', 'pets']);
  assert.equal(d.numClasses, 2);
  // the: 4, rose: 3, and: 2, cat: 2 -> tie broken alphabetically, capped at vocabSize 5.
  assert.deepEqual(d.vocab, ['[PAD]', '[UNK]', 'the', 'rose', 'and']);
  assert.deepEqual([...d.train.y], [1, 1, 0, 0]);
  assert.ok(d.train.x instanceof Int32Array);
  assert.deepEqual([...d.train.x.subarray(0, 4)], [2, 1, 1, 0]); // the cat sat [PAD]
  assert.deepEqual([...d.train.x.subarray(12, 16)], [2, 1, 3, 4]); // the market rose and (truncated)
  assert.deepEqual([...d.test.x], [1, 1, 1, 0]);
  assert.deepEqual([...d.test.y], [0]);
});

test('jsonl: integer labels are class indices; mismatched label kinds between files are an error', async () => {
  const train = await tmp('int.jsonl', '{"text":"a","label":0}\n{"text":"b","label":2}\n{"text":"c","label":1}\n');
  const d = await loadData({ format: 'jsonl', train, test: train }, { seed: 1 });
  assert.equal(d.classNames, undefined);
  assert.equal(d.numClasses, 3);
  assert.deepEqual(d.exampleShape, [64]);
  const strTest = await tmp('str.jsonl', '{"text":"a","label":"x"}\n');
  await assert.rejects(loadData({ format: 'jsonl', train, test: strTest }, { seed: 1 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.pointer, '/data/test');
    assert.match(e.message, /test labels are strings but training labels are numbers/);
    return true;
  });
});

test('jsonl: the vocabulary ignores held-out examples', async () => {
  const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: `word${i}`, label: i % 2 }));
  const train = await tmp('unique.jsonl', lines.join('\n'));
  const d = await loadData({ format: 'jsonl', train, testSplit: 0.25 }, { seed: 5 });
  assert.equal(d.test.count, 5);
  assert.equal(d.vocab?.length, 2 + 15);
  // Every held-out word is unseen, so the test split is all [UNK] then padding.
  for (let i = 0; i < d.test.count; i++) assert.equal(d.test.x[i * 64], 1);
});

test('the shipped text dataset loads: 6 topics, 1027 + 257 examples', async () => {
  const d = await loadData(
    { format: 'jsonl', train: path.join(ROOT, 'examples/text/fortunes-train.jsonl'), test: path.join(ROOT, 'examples/text/fortunes-test.jsonl'), vocabSize: 5000 },
    { seed: 1 },
  );
  assert.deepEqual(d.classNames, ['computers', 'education', 'food', 'law', 'science', 'sports']);
  assert.equal(d.train.count, 1027);
  assert.equal(d.test.count, 257);
  assert.equal(d.vocab?.length, 5000);
  let unk = 0;
  let tokens = 0;
  for (const id of d.test.x) {
    if (id !== 0) tokens++;
    if (id === 1) unk++;
  }
  assert.ok(unk / tokens < 0.2, `test tokens unknown: ${unk}/${tokens}`);
});
