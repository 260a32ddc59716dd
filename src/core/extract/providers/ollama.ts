import { UserError } from '../../errors';
import { assembleResult } from '../assemble';
import { candidateSpans, extractionJsonSchema, type CandidateOptions } from '../constraints';
import { extractionMessages } from '../prompt';
import type { ExtractionSchema } from '../schema';
import type { ExtractionProvider, ExtractionResult, ExtractOptions } from '../types';
import { parseModelJson, postJson, readNdjson } from './http';

/**
 * Ollama: `POST {baseUrl}/api/chat` with `format: <JSON schema>` (span fields are enums of the
 * input's candidate spans). Streaming answers arrive as newline-delimited JSON objects
 * `{message: {content}, done}`.
 */
export interface OllamaProviderOptions {
  /** e.g. `http://127.0.0.1:11434`. */
  baseUrl: string;
  model: string;
  stream?: boolean;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  candidates?: CandidateOptions;
}

export class OllamaProvider implements ExtractionProvider {
  readonly name: string;

  constructor(private readonly options: OllamaProviderOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) throw new UserError(`base URL must start with http:// or https:// (got "${options.baseUrl}")`, '/baseUrl');
    if (!options.model) throw new UserError('a model name is required for the Ollama provider', '/model');
    this.name = `ollama:${options.model}`;
  }

  async extract(text: string, schema: ExtractionSchema, opts: ExtractOptions = {}): Promise<ExtractionResult> {
    const o = this.options;
    const candidates = candidateSpans(text, o.candidates).map((c) => c.text);
    const body = {
      model: o.model,
      messages: extractionMessages(schema, text),
      format: extractionJsonSchema(schema, candidates),
      stream: o.stream === true,
      options: { temperature: 0 },
    };
    const response = await postJson(`${o.baseUrl.replace(/\/+$/, '')}/api/chat`, body, {}, {
      provider: this.name, timeoutMs: o.timeoutMs, retries: o.retries, backoffMs: o.backoffMs, signal: opts.signal,
    });
    let content = '';
    if (o.stream && response.body) {
      for await (const event of readNdjson(response.body)) {
        const e = event as { message?: { content?: string }; error?: string; done?: boolean };
        if (e.error) throw new UserError(`${this.name}: ${e.error}`);
        const chunk = e.message?.content ?? '';
        if (chunk) {
          content += chunk;
          opts.onProgress?.({ receivedChars: content.length, chunk });
        }
        if (e.done) break;
      }
    } else {
      const json = (await response.json()) as { message?: { content?: string } };
      content = json.message?.content ?? '';
      opts.onProgress?.({ receivedChars: content.length, chunk: content });
    }
    return assembleResult(text, schema, parseModelJson(content, this.name), this.name);
  }
}
