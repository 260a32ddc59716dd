import { UserError } from '../../errors';
import { excerpt } from '../../util/untrustedText';
import { extractionJsonSchema } from '../constraints';
import { extractionMessages } from '../prompt';
import type { ExtractionSchema } from '../schema';
import type { ExtractionProvider, ExtractionResult, ExtractOptions } from '../types';
import { endpointUrl, isJsonResponse, limitedBody, readJsonBody, readSse, requestJson } from './http';
import { extractInPieces, type AskOptions, type RemoteOptions } from './remote';

/**
 * An OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, LM Studio, llama.cpp's
 * OpenAI server, ...): `POST {baseUrl}/chat/completions` with the schema-instructed prompt and
 * `response_format: {type: 'json_schema', json_schema: {name, schema, strict: true}}`, whose
 * span fields are enums of the piece's candidate spans. With `stream: true` the answer is read
 * from server-sent events and progress is reported per chunk.
 */
export interface OpenAIProviderOptions extends RemoteOptions {
  /** e.g. `https://api.openai.com/v1` (the path `/chat/completions` is appended). */
  baseUrl: string;
  model: string;
  /** Sent only as `Authorization: Bearer <key>`; never logged. */
  apiKey?: string;
  stream?: boolean;
  /** Send the JSON-schema constraint (default true); some servers reject `response_format`. */
  structuredOutput?: boolean;
}

interface ChatCompletion {
  choices?: { message?: { content?: string | null; refusal?: string | null } }[];
}

export class OpenAIProvider implements ExtractionProvider {
  readonly name: string;
  private readonly url: URL;

  constructor(private readonly options: OpenAIProviderOptions) {
    this.url = endpointUrl(options.baseUrl, '/chat/completions');
    if (!options.model) throw new UserError('a model name is required for the OpenAI-compatible provider', '/model');
    this.name = `openai:${options.model}`;
  }

  extract(text: string, schema: ExtractionSchema, opts: ExtractOptions = {}): Promise<ExtractionResult> {
    return extractInPieces(text, schema, this.name, (piece, candidates, ask) => this.ask(schema, piece, candidates, ask), { ...this.options, ...opts });
  }

  private ask(schema: ExtractionSchema, text: string, candidates: string[], { signal, onChunk }: AskOptions): Promise<string> {
    const o = this.options;
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
    const http = { ...o, provider: this.name, signal, secrets: [o.apiKey ?? ''] };
    return requestJson(this.url, body, headers, http, async (response, maxBytes) => {
      if (o.stream && !isJsonResponse(response)) {
        let content = '';
        for await (const event of readSse(limitedBody(response, maxBytes))) {
          const chunk = (event as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
          if (typeof chunk !== 'string' || !chunk) continue;
          content += chunk;
          onChunk(chunk);
        }
        return content;
      }
      const message = ((await readJsonBody(response, maxBytes)) as ChatCompletion).choices?.[0]?.message;
      if (message?.refusal) throw new UserError(`the model refused: ${excerpt(String(message.refusal), 300)}`);
      const content = typeof message?.content === 'string' ? message.content : '';
      onChunk(content);
      return content;
    });
  }
}
