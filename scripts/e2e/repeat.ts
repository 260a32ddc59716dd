/**
 * Runs end-to-end test files several times in a row and tallies each test's passes and failures:
 * a test that fails one run in ten fails CI one stop in ten, and a single run will not show it.
 *
 *   npm run test:e2e:repeat -- [--times N] [--json] [test/e2e/x.e2e.ts ...]
 *
 * Builds and packages once (the suite installs the vsix into code-server), then runs the files
 * (default: all of test/e2e) N times (default 3), one file at a time as `npm run test:e2e` does.
 * Each run's full output is kept in test-output/e2e-repeat/run-K.tap for the failures' messages.
 * Exits 1 when any test failed in any run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

interface Tally {
  pass: number;
  fail: number;
  /** Which runs (1-based) it failed in. */
  failedIn: number[];
}

/** `name ›` path of each test that reported `ok` / `not ok` in one TAP stream (suites included). */
export function parseTap(tap: string): { name: string; ok: boolean }[] {
  const stack: string[] = [];
  const results: { name: string; ok: boolean }[] = [];
  for (const line of tap.split('\n')) {
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const level = subtest[1].length / 4;
      stack.length = level;
      stack[level] = unescapeTap(subtest[2]);
      continue;
    }
    const result = /^(\s*)(not )?ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (result) {
      const level = result[1].length / 4;
      results.push({ name: [...stack.slice(0, level), unescapeTap(result[3])].join(' › '), ok: !result[2] });
    }
  }
  return results;
}

/** TAP escapes `#` and `\\` in names (a bare ` # ` starts a directive such as SKIP). */
function unescapeTap(name: string): string {
  return name.replace(/\\([\\#])/g, '$1');
}

function runOnce(files: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...files], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write('.');
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const timesAt = args.indexOf('--times');
  const times = timesAt >= 0 ? Number(args[timesAt + 1]) : 3;
  if (!Number.isInteger(times) || times < 1) throw new Error('--times takes a whole number >= 1');
  const json = args.includes('--json');
  const named = args.filter((a, i) => a.endsWith('.ts') && i !== timesAt + 1);
  const files = named.length > 0 ? named : readdirSync('test/e2e').filter((f) => f.endsWith('.e2e.ts')).sort().map((f) => path.join('test/e2e', f));

  execFileSync('npm', ['run', 'package'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const outDir = path.join('test-output', 'e2e-repeat');
  mkdirSync(outDir, { recursive: true });
  const tallies = new Map<string, Tally>();
  for (let run = 1; run <= times; run++) {
    const started = Date.now();
    const tap = await runOnce(files);
    writeFileSync(path.join(outDir, `run-${run}.tap`), tap);
    const results = parseTap(tap);
    for (const { name, ok } of results) {
      const t = tallies.get(name) ?? { pass: 0, fail: 0, failedIn: [] };
      if (ok) t.pass++;
      else {
        t.fail++;
        t.failedIn.push(run);
      }
      tallies.set(name, t);
    }
    const failed = results.filter((r) => !r.ok).length;
    process.stderr.write(`\nrun ${run}/${times}: ${results.length - failed} ok, ${failed} not ok, ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
  const flaky = [...tallies].filter(([, t]) => t.fail > 0);
  if (json) console.log(JSON.stringify({ times, files, failed: Object.fromEntries(flaky), tests: tallies.size }));
  else {
    console.log(`${tallies.size} tests (suites included), ${times} runs of ${files.length} files`);
    for (const [name, t] of flaky) console.log(`FAILED ${t.fail}/${t.pass + t.fail} (runs ${t.failedIn.join(', ')}): ${name}`);
    if (flaky.length === 0) console.log('no test failed');
  }
  process.exitCode = flaky.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  });
}
