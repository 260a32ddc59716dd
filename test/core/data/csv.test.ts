import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { parseCsv, parseNumber, type CsvOptions } from '../../../src/core/data/csv';

const opts = (o: Partial<CsvOptions> = {}): CsvOptions => ({ label: 'last', header: false, file: '/d/x.csv', pointer: '/data/train', ...o });
const parse = (text: string, o: Partial<CsvOptions> = {}) => parseCsv(Buffer.from(text), opts(o));

function fails(text: string, o: Partial<CsvOptions>, expect: { message: RegExp; line: number; column?: number; pointer?: string }): void {
  assert.throws(
    () => parse(text, o),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, expect.message);
      assert.equal(e.line, expect.line);
      if (expect.column !== undefined) assert.equal(e.column, expect.column);
      assert.equal(e.pointer, expect.pointer ?? '/data/train');
      assert.equal(e.file, '/d/x.csv');
      return true;
    },
  );
}

test('numbers with the label last, first or at an index', () => {
  const last = parse('1,2,3,0\n4,5,6,2\n');
  assert.equal(last.count, 2);
  assert.equal(last.features, 3);
  assert.deepEqual([...last.x], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...last.y], [0, 2]);
  const first = parse('1,2,3\n0,5,6', { label: 'first' });
  assert.deepEqual([...first.x], [2, 3, 5, 6]);
  assert.deepEqual([...first.y], [1, 0]);
  const mid = parse('1.5,7,2.5\n3.5,1,4.5', { label: 1 });
  assert.deepEqual([...mid.x], [1.5, 2.5, 3.5, 4.5]);
  assert.deepEqual([...mid.y], [7, 1]);
});

test('header row, CRLF line endings, blank lines, spaces, quotes and number notations', () => {
  const t = parse('a,b,label\r\n\r\n 0.25 , -1e-2,1\r\n"3",+.5,0\r\n\r\n', { header: true });
  assert.equal(t.count, 2);
  assert.deepEqual([...t.x], [0.25, Math.fround(-0.01), 3, 0.5]);
  assert.deepEqual([...t.y], [1, 0]);
});

test('parseNumber agrees with Number() on many notations', () => {
  for (const s of ['0', '-0', '12', '3.25', '-7.5', '1e3', '2.5E-4', '+4', '.5', '123456789012345678', '0.1', '1e-300', '5.']) {
    const b = Buffer.from(s);
    assert.equal(parseNumber(b, 0, b.length), Number(s), s);
  }
  for (const s of ['', ' ', 'abc', '1.2.3', '1e', '--1', 'NaN', 'Infinity', '0x10', '1,5']) {
    const b = Buffer.from(s);
    assert.ok(Number.isNaN(parseNumber(b, 0, b.length)), s);
  }
});

test('a non-number names the file, line and column', () => {
  fails('1,2,0\n3,x4,1\n', {}, { message: /not a number in column 2: "x4"/, line: 2, column: 3 });
  fails('1,2,0\n\n3,,1\n', {}, { message: /empty value in column 2/, line: 3, column: 3 });
});

test('a row with the wrong column count', () => {
  fails('1,2,3,0\n4,5,1\n', {}, { message: /row has 3 columns, expected 4 \(as in line 1\)/, line: 2 });
  fails('h1,h2,h3\n1,2,0\n4,5,6,1\n', { header: true }, { message: /row has 4 columns, expected 3 \(as in line 2\)/, line: 3 });
});

test('labels must be integers >= 0', () => {
  fails('1,2,0\n3,4,-1\n', {}, { message: /label -1 in column 3 is not a class index/, line: 2, column: 5 });
  fails('1,2,0.5\n', {}, { message: /label 0.5 in column 3 is not a class index/, line: 1 });
});

test('values beyond float32 are a data error at their row and column, however they are written', () => {
  fails('1,2,0\n3,1e39,1\n', {}, { message: /value 1e39 in column 2 is beyond the float32 range/, line: 2, column: 3 });
  fails('1,2,0\n-4e38,1,1\n', {}, { message: /value -4e38 in column 1 is beyond the float32 range/, line: 2, column: 1 });
  // Beyond a double too: said so, not "not a number".
  fails('1,1e999,0\n', {}, { message: /value 1e999 in column 2 is beyond the float32 range/, line: 1, column: 3 });
  fails('1,"1e999",0\n', {}, { message: /value 1e999 in column 2 is beyond the float32 range/, line: 1 });
  assert.deepEqual([...parse('3.4e38,0\n').x], [Math.fround(3.4e38)]);
});

test('labels at or beyond 2^31 are an error instead of wrapping around', () => {
  fails('1,2,0\n3,4,2147483648\n', {}, { message: /label 2147483648 in column 3 is too large for a class index \(at most 2147483647\)/, line: 2, column: 5 });
  fails('1,2,0\n3,4,1e12\n', {}, { message: /label 1e12 in column 3 is too large/, line: 2 });
});

test('a row with extra columns is reported as such, not as a bad label in the last column', () => {
  fails('1,2,0\n3,4,0.5,1\n', {}, { message: /row has 4 columns, expected 3 \(as in line 1\)/, line: 2 });
});

test('a label column that does not exist points at /data/label', () => {
  fails('1,2,0\n', { label: 5 }, { message: /label column 5 does not exist: .* has 3 columns \(0 to 2\)/, line: 1, pointer: '/data/label' });
});

test('no data rows, or no feature column', () => {
  fails('a,b\n\n', { header: true }, { message: /no examples/, line: 2 });
  fails('1\n2\n', {}, { message: /at least one feature column/, line: 1 });
});

test('quoted fields: commas and doubled quotes inside quotes, quoted numbers and header names', () => {
  const t = parse('"sepal, length","width ""cm""",label\n"5.1",3.5,"0"\n4.9,"3",1\n', { header: true });
  assert.equal(t.features, 2);
  assert.deepEqual([...t.x], [Math.fround(5.1), 3.5, Math.fround(4.9), 3]);
  assert.deepEqual([...t.y], [0, 1]);
  assert.equal(t.classNames, undefined);
  fails('1,"2,0\n', {}, { message: /quoted field in column 2 is not closed on this line/, line: 1, column: 3 });
});

test('text class labels (as R writes iris): names sorted, rows indexed into them', () => {
  const iris = ['"Sepal.Length","Sepal.Width","Species"', '5.1,3.5,"setosa"', '7,3.2,"versicolor"', '6.3,3.3,"virginica"', '4.9,3,"setosa"'].join('\r\n');
  const t = parse(iris, { header: true });
  assert.equal(t.count, 4);
  assert.deepEqual(t.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual([...t.y], [0, 1, 2, 0]);
  assert.deepEqual([...t.x].slice(0, 2), [Math.fround(5.1), 3.5]);
  // Unquoted names, the label first, names that sort before earlier ones, a quote inside a name.
  const first = parse('zebra,1,2\nant,3,4\n"say ""hi""",5,6\nzebra,7,8', { label: 'first' });
  assert.deepEqual(first.classNames, ['ant', 'say "hi"', 'zebra']);
  assert.deepEqual([...first.y], [2, 0, 1, 2]);
  // Numbers before the first name become names too: the column holds names.
  const mixed = parse('1,2,1\n3,4,cat\n5,6,1\n');
  assert.deepEqual(mixed.classNames, ['1', 'cat']);
  assert.deepEqual([...mixed.y], [0, 1, 0]);
  fails('1,2,cat\n3,4, ""\n', {}, { message: /empty label in column 3/, line: 2, column: 5 });
});

test('a header row read as data says how to skip it', () => {
  fails('sepal_length,sepal_width,species\n5.1,3.5,setosa\n', {}, { message: /not a number in column 1: "sepal_length" \(if this line names the columns, set "header": true\)/, line: 1, column: 1 });
  fails('1,2,0\nx,2,0\n', {}, { message: /not a number in column 1: "x"$/, line: 2 });
});
