import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { UserError } from '../../core/errors';
import type { ExtractionResult } from '../../core/extract/types';
import { isExtractionResult } from './messages';

/**
 * Runs the built-in model in a child process: the bundled CLI, `dist/cli.js extract --json`.
 * Measured (2 shared cores): loading TensorFlow.js and the 6 MB model takes ~0.9 s, the first
 * paragraph ~0.6 s and warm ones ~0.1 s, all synchronous tfjs work that would freeze the
 * extension host (every other extension, hovers, typing) if run in-process; a child process
 * also keeps TensorFlow.js out of the host bundle and is cancelled by killing it. Each call
 * pays the ~2 s start, which the progress notification covers.
 *
 * The text is passed as one argument; Linux caps a single argument at 128 KiB and Windows a
 * whole command line at 32 KiB, hence `maxBuiltinTextBytes`.
 */
export function maxBuiltinTextBytes(platform: NodeJS.Platform = process.platform): number {
  return platform === 'win32' ? 30_000 : 120_000;
}

export interface BuiltinRunOptions {
  /** `dist/cli.js` of the installed extension. */
  cliScript: string;
  text: string;
  /** Schema file; undefined = the built-in CoNLL04 schema. */
  schemaFile?: string;
  /** A retrained model's `extractor.json`; undefined = the shipped model. */
  modelFile?: string;
  signal?: AbortSignal;
  /** Extra Node flags (tests run the TypeScript CLI with `--import tsx`). */
  execArgv?: string[];
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export function runBuiltinExtraction(o: BuiltinRunOptions): Promise<ExtractionResult> {
  const bytes = Buffer.byteLength(o.text, 'utf8');
  if (bytes > maxBuiltinTextBytes()) {
    return Promise.reject(new UserError(`the selection is too long for the built-in model (${bytes} bytes, at most ${maxBuiltinTextBytes()}); select less text`));
  }
  if (!existsSync(o.cliScript)) return Promise.reject(new Error(`the extension build is incomplete: ${o.cliScript} is missing`));
  if (o.signal?.aborted) return Promise.reject(new CancelledError());
  // `--text=...` keeps a text that starts with "-" a value; a command line cannot carry NUL, so
  // it goes as a space (same length, so offsets hold) and the original text is put back below.
  const args = ['extract', `--text=${o.text.replace(/\0/g, ' ')}`, '--provider', 'builtin', '--json'];
  if (o.schemaFile) args.push('--schema', o.schemaFile);
  if (o.modelFile) args.push('--model-file', o.modelFile);
  return new Promise((resolve, reject) => {
    // Under VS Code's Electron, fork re-runs the host binary; ELECTRON_RUN_AS_NODE makes it plain Node.
    const child = fork(o.cliScript, args, {
      silent: true,
      execArgv: o.execArgv ?? [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 20_000) stderr += d; });
    const onAbort = () => child.kill();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      o.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code) => {
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) return reject(new CancelledError());
      if (code === 0) {
        let parsed: unknown;
        try {
          parsed = withOriginalText(JSON.parse(stdout), o.text);
        } catch {
          return reject(new Error('the built-in model printed no JSON result'));
        }
        if (!isExtractionResult(parsed, o.text)) return reject(new Error('the built-in model returned a malformed result'));
        return resolve(parsed);
      }
      const line = stderr.trim().split('\n')[0]?.replace(/^model-lab: /, '') || `exit code ${code}`;
      reject(code === 2 ? new UserError(line) : new Error(`the built-in model failed: ${line}`));
    });
  });
}

/** Each span's text taken from `text` (what was sent had NUL characters replaced by spaces). */
function withOriginalText(result: unknown, text: string): unknown {
  const r = result as Partial<ExtractionResult>;
  if (!text.includes('\0') || !Array.isArray(r?.entities)) return result;
  const fix = (e: { start: number; end: number; text: string }) => { e.text = text.slice(e.start, e.end); };
  r.entities.forEach(fix);
  for (const x of r.relations ?? []) { fix(x.head); fix(x.tail); }
  for (const ev of r.events ?? []) { fix(ev.trigger); ev.arguments.forEach((a) => fix(a.entity)); }
  return result;
}
