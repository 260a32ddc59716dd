import { UserError } from '../../errors';
import { assembleResult } from '../assemble';
import { candidateSpans, extractionGbnf, type CandidateOptions } from '../constraints';
import { extractionMessages } from '../prompt';
import type { ExtractionSchema } from '../schema';
import type { ExtractionProvider, ExtractionResult, ExtractOptions } from '../types';
import { parseModelJson, postJson, readSse } from './http';

/**
 * A llama.cpp server: `POST {baseUrl}/completion` with a GBNF `grammar` whose span rule only
 * derives word-level substrings of the input. The chat prompt is flattened into one plain
 * prompt (the server's own chat template is not applied on this endpoint).
 */
export interface LlamaCppProviderOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  stream?: boolean;
  /** Most tokens to generate (default 1024). */
  maxTokens?: number;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  candidates?: CandidateOptions;
}

export class LlamaCppProvider implements ExtractionProvider {
  readonly name = 'llamacpp';

  constructor(private readonly options: LlamaCppProviderOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) throw new UserError(`base URL must start with http:// or https:// (got "${options.baseUrl}")`, '/baseUrl');
  }

  async extract(text: string, schema: ExtractionSchema, opts: ExtractOptions = {}): Promise<ExtractionResult> {
    const o = this.options;
    const candidates = candidateSpans(text, o.candidates).map((c) => c.text);
    const prompt = extractionMessages(schema, text).map((m) => m.content).join('\n\n') + '\n\nJSON:\n';
    const body = {
      prompt,
      grammar: extractionGbnf(schema, candidates),
      n_predict: o.maxTokens ?? 1024,
      temperature: 0,
      stream: o.stream === true,
    };
    const response = await postJson(`${o.baseUrl.replace(/\/+$/, '')}/completion`, body, {}, {
      provider: this.name, timeoutMs: o.timeoutMs, retries: o.retries, backoffMs: o.backoffMs, signal: opts.signal,
    });
    let content = '';
    if (o.stream && response.body) {
      for await (const event of readSse(response.body)) {
        const e = event as { content?: string; stop?: boolean };
        if (e.content) {
          content += e.content;
          opts.onProgress?.({ receivedChars: content.length, chunk: e.content });
        }
        if (e.stop) break;
      }
    } else {
      content = ((await response.json()) as { content?: string }).content ?? '';
      opts.onProgress?.({ receivedChars: content.length, chunk: content });
    }
    return assembleResult(text, schema, parseModelJson(content, this.name), this.name);
  }
}
