import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import * as zlib from 'node:zlib';
import { inspectCsvHead, inspectIdxHead } from '../../../src/core/data/head';

const ROOT = path.resolve(__dirname, '../../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'data-head-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer): string => {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
};

test('the shipped digits (gzip) and iris (header, quoted text labels) give their example shape', () => {
  const digits = inspectCsvHead({ label: 'last' }, path.join(ROOT, 'examples/digits/digits.csv.gz'), '/data/train');
  assert.deepEqual(digits, { exampleShape: [64], source: 'digits.csv.gz has 65 columns, the label in the last', problems: [] });
  const iris = inspectCsvHead({ label: 'last', header: true }, path.join(ROOT, 'examples/iris/iris.csv'), '/data/train');
  assert.deepEqual(iris.exampleShape, [4]);
  assert.deepEqual(iris.problems, []);
});

test('a header row read as data is an error that says to set header; data skipped as a header warns', () => {
  const iris = inspectCsvHead({ label: 'last' }, path.join(ROOT, 'examples/iris/iris.csv'), '/data/train');
  assert.equal(iris.exampleShape, undefined);
  assert.deepEqual(iris.problems, [{
    pointer: '/data/train', severity: 'error',
    message: 'iris.csv line 1: not a number in column 1: "Sepal.Length" (if this line names the columns, set "header": true)',
  }]);
  const numbers = file('numbers.csv', '1,2,0\n3,4,1\n');
  const skipped = inspectCsvHead({ label: 'last', header: true }, numbers, '/data/train');
  assert.deepEqual(skipped.exampleShape, [2]);
  assert.equal(skipped.problems.length, 1);
  assert.equal(skipped.problems[0].pointer, '/data/header');
  assert.equal(skipped.problems[0].severity, 'warning');
  assert.match(skipped.problems[0].message, /header is true, so the first row of numbers\.csv is skipped, but it holds data \(1,2,0\)/);
});

test('a label column that does not exist, and a head that ends mid-row', () => {
  const f = file('three.csv', '1,2,0\n');
  assert.deepEqual(inspectCsvHead({ label: 7 }, f, '/data/train').problems.map((p) => p.pointer), ['/data/label']);
  // Only the first 256 KiB are read: a cut last row is not a problem, the rows before it tell the shape.
  const row = `${Array.from({ length: 200 }, (_, i) => i).join(',')},1\n`;
  const big = file('big.csv', row.repeat(Math.ceil((300 * 1024) / row.length)));
  const head = inspectCsvHead({ label: 'last' }, big, '/data/train');
  assert.deepEqual(head, { exampleShape: [200], source: 'big.csv has 201 columns, the label in the last', problems: [] });
  const gz = file('big.csv.gz', zlib.gzipSync(Buffer.from(row.repeat(5000))));
  assert.deepEqual(inspectCsvHead({ label: 'last' }, gz, '/data/train').exampleShape, [200]);
});

test('missing, empty or corrupt files say nothing (the file check and the loader report them)', () => {
  assert.deepEqual(inspectCsvHead({ label: 'last' }, path.join(dir, 'nope.csv'), '/data/train'), { problems: [] });
  const corrupt = file('corrupt.csv.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  assert.deepEqual(inspectCsvHead({ label: 'last' }, corrupt, '/data/train'), { problems: [] });
  assert.deepEqual(inspectIdxHead(path.join(dir, 'nope.idx')), { problems: [] });
});

test('IDX images (plain or gzip): [height, width, 1] from the header', () => {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(14, 12);
  const images = Buffer.concat([header, Buffer.alloc(2 * 28 * 14)]);
  for (const f of [file('img-idx3-ubyte', images), file('img-idx3-ubyte.gz', zlib.gzipSync(images))]) {
    assert.deepEqual(inspectIdxHead(f), { exampleShape: [28, 14, 1], source: `${path.basename(f)} holds 28x14 images`, problems: [] });
  }
  assert.deepEqual(inspectIdxHead(file('labels-idx1-ubyte', Buffer.from([0, 0, 8, 1, 0, 0, 0, 0]))), { problems: [] });
});
