import { UserError } from '../../errors';
import { assembleResult } from '../assemble';
import { candidateSpans, extractionJsonSchema, type CandidateOptions } from '../constraints';
import { extractionMessages } from '../prompt';
import type { ExtractionSchema } from '../schema';
import type { ExtractionProvider, ExtractionResult, ExtractOptions } from '../types';
import { parseModelJson, postJson, readSse } from './http';

/**
 * An OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, LM Studio, llama.cpp's
 * OpenAI server, ...): `POST {baseUrl}/chat/completions` with the schema-instructed prompt and
 * `response_format: {type: 'json_schema', json_schema: {name, schema, strict: true}}`, whose
 * span fields are enums of the input's candidate spans. With `stream: true` the answer is read
 * from server-sent events and progress is reported per chunk.
 */
export interface OpenAIProviderOptions {
  /** e.g. `https://api.openai.com/v1` (the path `/chat/completions` is appended). */
  baseUrl: string;
  model: string;
  /** Sent only as `Authorization: Bearer <key>`; never logged. */
  apiKey?: string;
  stream?: boolean;
  /** Send the JSON-schema constraint (default true); some servers reject `response_format`. */
  structuredOutput?: boolean;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  candidates?: CandidateOptions;
}

export class OpenAIProvider implements ExtractionProvider {
  readonly name: string;

  constructor(private readonly options: OpenAIProviderOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) throw new UserError(`base URL must start with http:// or https:// (got "${options.baseUrl}")`, '/baseUrl');
    if (!options.model) throw new UserError('a model name is required for the OpenAI-compatible provider', '/model');
    this.name = `openai:${options.model}`;
  }

  async extract(text: string, schema: ExtractionSchema, opts: ExtractOptions = {}): Promise<ExtractionResult> {
    const o = this.options;
    const candidates = candidateSpans(text, o.candidates).map((c) => c.text);
    const body: Record<string, unknown> = {
      model: o.model,
      messages: extractionMessages(schema, text),
      temperature: 0,
    };
    if (o.structuredOutput !== false) {
      body.response_format = { type: 'json_schema', json_schema: { name: 'extraction', schema: extractionJsonSchema(schema, candidates), strict: true } };
    }
    if (o.stream) body.stream = true;
    const headers: Record<string, string> = {};
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
    const response = await postJson(`${o.baseUrl.replace(/\/+$/, '')}/chat/completions`, body, headers, {
      provider: this.name, timeoutMs: o.timeoutMs, retries: o.retries, backoffMs: o.backoffMs, signal: opts.signal, secrets: [o.apiKey ?? ''],
    });
    let content = '';
    if (o.stream && response.body) {
      for await (const event of readSse(response.body)) {
        const chunk = (event as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
        if (!chunk) continue;
        content += chunk;
        opts.onProgress?.({ receivedChars: content.length, chunk });
      }
    } else {
      const json = (await response.json()) as { choices?: { message?: { content?: string | null; refusal?: string | null } }[] };
      const message = json.choices?.[0]?.message;
      if (message?.refusal) throw new UserError(`${this.name}: the model refused: ${message.refusal}`);
      content = message?.content ?? '';
      opts.onProgress?.({ receivedChars: content.length, chunk: content });
    }
    return assembleResult(text, schema, parseModelJson(content, this.name), this.name);
  }
}
