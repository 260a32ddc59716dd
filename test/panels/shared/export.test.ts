import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportFileName, isExportRequest, toCsv } from '../../../src/panels/shared/export';

test('CSV: RFC 4180 quoting, numbers as numbers, missing and non-finite values empty', () => {
  const csv = toCsv(['class', 'f1', 'note'], [['a,b', 0.5, 'say "hi"'], ['line\nbreak', NaN, null], ['plain', 3, undefined]]);
  assert.equal(csv, 'class,f1,note\r\n"a,b",0.5,"say ""hi"""\r\n"line\nbreak",,\r\nplain,3,\r\n');
});

test('CSV: text a spreadsheet would run as a formula is defused; negative numbers stay numbers', () => {
  const csv = toCsv(['name', 'value'], [['=HYPERLINK("http://x")', -1], ['@SUM(A1)', 2], ['+1', 3], ['-2', 4]]);
  assert.equal(csv, 'name,value\r\n"\'=HYPERLINK(""http://x"")",-1\r\n\'@SUM(A1),2\r\n\'+1,3\r\n\'-2,4\r\n');
});

test('export requests: the content must be what the format says, and bounded', () => {
  const ok = (format: string, content: string) => isExportRequest({ type: 'export', format, name: 'timeline', content });
  assert.ok(ok('svg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>'));
  assert.ok(ok('png', 'data:image/png;base64,iVBORw0KGgo='));
  assert.ok(ok('csv', 'a,b\r\n'));
  assert.ok(!ok('svg', '<script>alert(1)</script>'));
  assert.ok(!ok('png', 'data:text/html;base64,PGgxPg=='));
  assert.ok(!ok('exe', 'MZ'));
  assert.ok(!isExportRequest({ type: 'export', format: 'csv', name: 'x'.repeat(201), content: '' }));
  assert.ok(!isExportRequest({ type: 'export', format: 'csv', name: 'x', content: 3 }));
});

test('suggested file names are safe on every platform', () => {
  assert.equal(exportFileName('confusion matrix · iris/../..', 'png'), 'confusion-matrix-iris.png');
  assert.equal(exportFileName('../../etc/passwd', 'csv'), 'etc-passwd.csv');
  assert.equal(exportFileName('', 'svg'), 'export.svg');
  assert.equal(exportFileName('timeline-digits-mlp', 'svg'), 'timeline-digits-mlp.svg');
});
