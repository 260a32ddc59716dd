import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startCli } from './program';

/**
 * Every exit of the CLI flushes stdout: a `--json` document of several megabytes arrives whole
 * through a pipe (before, the process exited with all but the pipe's first 65,536 bytes queued).
 */
const REPO = path.resolve(__dirname, '../..');

test('rewards distance --json: a 3 MB document arrives whole through a pipe', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-flush-'));
  try {
    // 400 rewards on a 2-state MDP: a 400 x 400 matrix, computed in a blink.
    const rewards = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`r${i}`, { stateAction: [[i, 1], [0.5 * i, -i]] }]));
    const file = path.join(dir, 'many.rewards.json');
    writeFileSync(file, JSON.stringify({ discount: 0.9, transitions: [[[0.5, 0.5], [0, 1]], [[1, 0], [0.3, 0.7]]], rewards }));
    const cli = startCli(['rewards', 'distance', file, '--json']);
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.stderr());
    const bytes = cli.stdout();
    assert.ok(bytes.length > 1_000_000, `${bytes.length} bytes`);
    const doc = JSON.parse(bytes.toString('utf8'));
    assert.equal(doc.matrix.length, 400);
    assert.equal(doc.matrix[399].length, 400);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extract --file of 200,000 characters prints complete JSON (1.4 MB) through a pipe; --file - reads standard input', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-extract-'));
  try {
    const sample = readFileSync(path.join(REPO, 'examples/extraction/sample.txt'), 'utf8');
    let text = '';
    while (text.length < 200_000) text += sample;
    text = text.slice(0, 200_000);
    const file = path.join(dir, 'long.txt');
    writeFileSync(file, text);
    const cli = startCli(['extract', '--file', file, '--json']);
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.stderr());
    const bytes = cli.stdout();
    assert.ok(bytes.length > 1_000_000, `${bytes.length} bytes`);
    const doc = JSON.parse(bytes.toString('utf8'));
    assert.ok(doc.entities.length > 1000, `${doc.entities.length} entities`);
    const last = doc.entities[doc.entities.length - 1];
    assert.ok(last.end > 190_000, 'entities up to the end of the text');
    for (const e of doc.entities) assert.equal(text.slice(e.start, e.end), e.text);

    // The same command on standard input (a short text: the point is the plumbing).
    const short = sample.split('\n')[1];
    const piped = startCli(['extract', '--file', '-', '--json'], { stdin: short });
    assert.equal((await piped.exited).code, 0, piped.stderr());
    const fromStdin = JSON.parse(piped.stdout().toString('utf8'));
    assert.ok(fromStdin.entities.some((e: { text: string }) => e.text.includes('Oswald')), JSON.stringify(fromStdin.entities));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
