import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import { loadConll04 } from '../core/extract/conll04';
import type { ExtractCausalEvalOutput, ExtractEvalOutput, ExtractOutput } from '../core/extract/cliOutput';
import type { ExtractionScores, Prf } from '../core/extract/eval';
import { evaluateProvider } from '../core/extract/evaluateProvider';
import { createProvider, DEFAULT_BASE_URLS, PROVIDER_KINDS, type ProviderConfig } from '../core/extract/providers';
import { BUILTIN_SCHEMAS, CONLL04_SCHEMA, loadExtractionSchema, type ExtractionSchema } from '../core/extract/schema';
import { evaluateCausalModelFile } from '../core/extract/causal/evaluateCausal';
import { defaultCausalModelFile } from '../core/extract/modelPath';
import { loadSemEval8 } from '../core/extract/semeval8';
import { initBackend } from '../core/tensor/backend';
import type { ExtractionResult } from '../core/extract/types';
import { escapeControls } from '../core/util/untrustedText';
import { parseCliArgs } from './args';
import type { CliIO, Subcommand } from './io';

export const EXTRACT_USAGE = `model-lab extract --file FILE|- [--schema FILE|conll04|causal] [--provider builtin|openai|ollama|llamacpp] [--json]
model-lab extract --text "..." [...]   (--file - reads standard input; one argument holds at most 128 KiB)
model-lab extract eval --data FILE --format conll04 [--schema FILE] [--provider ...] [--limit N] [--json]   (scores only the types the schema names)
model-lab extract eval --data FILE --format semeval8 [--model-file FILE] [--limit N] [--json]   (SemEval-2010 Task 8: the built-in causal model)
provider options: --model-file FILE (builtin), --base-url URL, --model NAME, --api-key-env VAR (default OPENAI_API_KEY), --stream, --timeout MS`;

const OPTIONS = {
  text: { type: 'string' },
  file: { type: 'string' },
  schema: { type: 'string' },
  provider: { type: 'string' },
  'model-file': { type: 'string' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'api-key-env': { type: 'string' },
  stream: { type: 'boolean' },
  timeout: { type: 'string' },
  data: { type: 'string' },
  format: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;


/** `model-lab extract`: extraction on a text, or evaluation on an annotated data file. */
export const extractCommand: Subcommand = async (argv, io) => {
  const { values, positionals } = parseCliArgs(argv, OPTIONS);
  if (values.help) {
    io.stdout(EXTRACT_USAGE + '\n');
    return 0;
  }
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'eval')) {
    throw new UserError(`unexpected argument "${positionals[positionals.length - 1]}"; usage: ${EXTRACT_USAGE.split('\n')[0]}`);
  }
  const resolve = (f: string) => path.resolve(io.cwd, f);
  const schema = await schemaOption(values.schema as string | undefined, resolve);
  const config = providerConfig(values, resolve);
  if (positionals[0] === 'eval') return evaluate(values, config, schema, resolve, io);

  if (values.data !== undefined || values.format !== undefined) throw new UserError('--data/--format belong to "extract eval"');
  const text = await inputText(values, resolve, io);
  const provider = await createProvider(config);
  try {
    const result = await provider.extract(text, schema, {
      signal: io.signal,
      onProgress: (p) => { if (p.chunk && !values.json) io.stderr(`received ${p.receivedChars} characters\n`); },
    });
    const out: ExtractOutput = result;
    io.stdout(values.json ? JSON.stringify(out) + '\n' : formatResult(result));
  } finally {
    provider.dispose?.();
  }
  return 0;
};

/**
 * `--schema`: a schema file, or the name of a built-in schema (`conll04`, `causal`) when no file
 * of that name exists; default CoNLL04.
 */
async function schemaOption(value: string | undefined, resolve: (f: string) => string): Promise<ExtractionSchema> {
  if (value === undefined) return CONLL04_SCHEMA;
  const builtin = BUILTIN_SCHEMAS[value];
  if (builtin && !existsSync(resolve(value))) return builtin;
  return loadExtractionSchema(resolve(value));
}

/** The text to extract from: `--text`, or `--file FILE` (`-`: standard input), exactly one of them. */
async function inputText(values: Record<string, string | boolean | undefined>, resolve: (f: string) => string, io: CliIO): Promise<string> {
  const { text, file } = values as { text?: string; file?: string };
  if ((text === undefined) === (file === undefined)) throw new UserError('give the text with --file FILE (or --file - for standard input) or --text "..."');
  if (text !== undefined) return text;
  if (file === '-') {
    if (!io.stdin) throw new UserError('--file -: no standard input to read');
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(resolve(file as string), 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UserError(err.code === 'ENOENT' ? 'file not found' : `cannot read the file: ${err.message}`, undefined, resolve(file as string));
  }
}

function providerConfig(values: Record<string, string | boolean | undefined>, resolve: (f: string) => string): ProviderConfig {
  const kind = (values.provider as string | undefined) ?? 'builtin';
  if (!(PROVIDER_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`--provider: unknown provider "${kind}"; expected one of ${PROVIDER_KINDS.join(', ')}`);
  }
  const timeoutMs = values.timeout !== undefined ? positiveInt(values.timeout as string, '--timeout') : undefined;
  const stream = values.stream === true;
  const baseUrl = (values['base-url'] as string | undefined) ?? DEFAULT_BASE_URLS[kind as keyof typeof DEFAULT_BASE_URLS];
  if (kind !== 'builtin' && values['model-file'] !== undefined) throw new UserError('--model-file only applies to --provider builtin');
  switch (kind) {
    case 'builtin':
      return { kind, modelFile: values['model-file'] ? resolve(values['model-file'] as string) : undefined };
    case 'openai': {
      const model = values.model as string | undefined;
      if (!model) throw new UserError('--model is required for --provider openai');
      // The key comes from the environment only: command lines are visible to other users.
      const keyVar = (values['api-key-env'] as string | undefined) ?? 'OPENAI_API_KEY';
      return { kind, baseUrl, model, apiKey: process.env[keyVar] || undefined, stream, timeoutMs };
    }
    case 'ollama': {
      const model = values.model as string | undefined;
      if (!model) throw new UserError('--model is required for --provider ollama');
      return { kind, baseUrl, model, stream, timeoutMs };
    }
    default:
      return { kind: 'llamacpp', baseUrl, stream, timeoutMs };
  }
}

async function evaluate(
  values: Record<string, string | boolean | undefined>, config: ProviderConfig, schema: ExtractionSchema,
  resolve: (f: string) => string, io: CliIO,
): Promise<number> {
  if (values.text !== undefined || values.file !== undefined) throw new UserError('--text/--file do not apply to "extract eval" (use --data)');
  if (!values.data) throw new UserError('--data FILE is required for "extract eval"');
  const format = (values.format as string | undefined) ?? 'conll04';
  if (format !== 'conll04' && format !== 'semeval8') throw new UserError(`--format: unsupported format "${format}" (supported: conll04, semeval8)`);
  const limit = values.limit !== undefined ? positiveInt(values.limit as string, '--limit') : undefined;
  if (format === 'semeval8') return evaluateSemEval(values, config, resolve, io, limit);
  const sentences = (await loadConll04(resolve(values.data as string))).slice(0, limit);
  const provider = await createProvider(config);
  let scores: ExtractionScores;
  try {
    scores = await evaluateProvider(provider, sentences, schema, {
      signal: io.signal,
      onSentence: (done, total) => { if (!values.json && done % 50 === 0) io.stderr(`${done}/${total} sentences\n`); },
    });
  } finally {
    provider.dispose?.();
  }
  const ungrounded = scores.ungrounded;
  const brief = (p: Prf) => ({ precision: p.precision, recall: p.recall, f1: p.f1, correct: p.correct, predicted: p.predicted, gold: p.gold });
  const briefAll = (r: Record<string, Prf>) => Object.fromEntries(Object.entries(r).map(([type, p]) => [type, brief(p)]));
  const out: ExtractEvalOutput = {
    entity: brief(scores.entity), relation: brief(scores.relation),
    perType: { entity: briefAll(scores.perType.entity), relation: briefAll(scores.perType.relation) },
    ungrounded, sentences: scores.sentences, provider: provider.name,
  };
  if (values.json) io.stdout(JSON.stringify(out) + '\n');
  else {
    const pct = (x: number) => (x * 100).toFixed(2);
    io.stdout(
      `${scores.sentences} sentences, provider ${provider.name}\n` +
      `entity    P ${pct(scores.entity.precision)}  R ${pct(scores.entity.recall)}  F1 ${pct(scores.entity.f1)}\n` +
      `relation  P ${pct(scores.relation.precision)}  R ${pct(scores.relation.recall)}  F1 ${pct(scores.relation.f1)} (strict)\n` +
      `ungrounded spans dropped: ${ungrounded}\n` +
      perTypeText(scores),
    );
  }
  return 0;
}

/** One line per entity and relation type: the micro averages hide a type the model never gets right. */
export function perTypeText(scores: ExtractionScores): string {
  const pct = (x: number) => (x * 100).toFixed(2).padStart(6);
  const lines: string[] = [];
  for (const [label, byType] of [['entity types', scores.perType.entity], ['relation types', scores.perType.relation]] as const) {
    const types = Object.keys(byType);
    if (types.length === 0) continue;
    const width = Math.max(...types.map((t) => t.length));
    lines.push(`${label}:`);
    for (const t of types) {
      const p = byType[t];
      lines.push(`  ${escapeControls(t).padEnd(width)}  P ${pct(p.precision)}  R ${pct(p.recall)}  F1 ${pct(p.f1)}  (gold ${p.gold}, predicted ${p.predicted})`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/**
 * `extract eval --format semeval8`: the built-in causal model on SemEval-2010 Task 8 sentences,
 * with the nominals given (the task's protocol): the official score, direction-aware
 * Cause-Effect P/R/F1, and the ERASER scores of its rationales next to random ones.
 */
async function evaluateSemEval(
  values: Record<string, string | boolean | undefined>, config: ProviderConfig, resolve: (f: string) => string, io: CliIO, limit: number | undefined,
): Promise<number> {
  if (config.kind !== 'builtin') {
    throw new UserError('--format semeval8 scores the built-in causal model with the nominals given; remote providers are evaluated on extraction (--format conll04, or the causal schema in VS Code)');
  }
  if (values.schema !== undefined) throw new UserError('--schema does not apply to --format semeval8 (the causal model classifies the 19 SemEval labels)');
  const sentences = (await loadSemEval8(resolve(values.data as string))).slice(0, limit);
  await initBackend();
  const out: ExtractCausalEvalOutput = await evaluateCausalModelFile(config.modelFile ?? defaultCausalModelFile(), sentences);
  if (values.json) io.stdout(JSON.stringify(out) + '\n');
  else {
    const pct = (x: number) => (x * 100).toFixed(2);
    const r = out.rationale;
    io.stdout(
      `${out.sentences} sentences, built-in causal model, nominals given\n` +
      `official score (macro-F1, 9 relations, direction counts)  ${pct(out.macroF1)}\n` +
      `Cause-Effect (direction-aware)  P ${pct(out.causal.precision)}  R ${pct(out.causal.recall)}  F1 ${pct(out.causal.f1)}\n` +
      `rationales: comprehensiveness ${r.comprehensiveness.toFixed(3)} (random ${r.randomComprehensiveness.toFixed(3)}), ` +
      `sufficiency ${r.sufficiency.toFixed(3)} (random ${r.randomSufficiency.toFixed(3)})\n`,
    );
  }
  return 0;
}

function positiveInt(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`${flag} must be a positive integer (got "${s}")`);
  return n;
}

function formatResult(r: ExtractionResult): string {
  /** Span texts are the input's, which may hold terminal controls (JSON escapes only C0). */
  const q = (s: string) => escapeControls(JSON.stringify(s));
  const lines = [`provider: ${r.provider}`, `entities (${r.entities.length}):`];
  for (const e of r.entities) lines.push(`  ${e.type.padEnd(8)} ${q(e.text)} [${e.start}, ${e.end})${e.grounding && e.grounding !== 'exact' ? ` (${e.grounding})` : ''}`);
  lines.push(`relations (${r.relations.length}):`);
  for (const x of r.relations) {
    const p = x.score === undefined ? '' : ` p ${x.score.toFixed(2)}`;
    const why = x.rationale?.length ? `  because of ${x.rationale.map((w) => `${q(w.text)}${w.score === undefined ? '' : ` ${w.score.toFixed(2)}`}`).join(', ')}` : '';
    lines.push(`  ${x.type}: ${q(x.head.text)} -> ${q(x.tail.text)}${p}${why}`);
  }
  if (r.events.length > 0) {
    lines.push(`events (${r.events.length}):`);
    for (const ev of r.events) lines.push(`  ${ev.type} ${q(ev.trigger.text)}: ${ev.arguments.map((a) => `${a.role}=${q(a.entity.text)}`).join(', ')}`);
  }
  if (r.ungrounded > 0) lines.push(`ungrounded spans dropped: ${r.ungrounded}`);
  return lines.join('\n') + '\n';
}
