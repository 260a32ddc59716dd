import { UserError } from '../../errors';
import { excerpt } from '../../util/untrustedText';
import { extractionJsonSchema } from '../constraints';
import { extractionMessages } from '../prompt';
import type { ExtractionSchema } from '../schema';
import type { ExtractionProvider, ExtractionResult, ExtractOptions } from '../types';
import { endpointUrl, isJsonResponse, limitedBody, readJsonBody, readNdjson, requestJson } from './http';
import { extractInPieces, type AskOptions, type RemoteOptions } from './remote';

/**
 * Ollama: `POST {baseUrl}/api/chat` with `format: <JSON schema>` (span fields are enums of the
 * piece's candidate spans). Streaming answers arrive as newline-delimited JSON objects
 * `{message: {content}, done}`.
 */
export interface OllamaProviderOptions extends RemoteOptions {
  /** e.g. `http://127.0.0.1:11434`. */
  baseUrl: string;
  model: string;
  stream?: boolean;
}

interface ChatChunk {
  message?: { content?: string };
  error?: string;
  done?: boolean;
}

export class OllamaProvider implements ExtractionProvider {
  readonly name: string;
  private readonly url: URL;

  constructor(private readonly options: OllamaProviderOptions) {
    this.url = endpointUrl(options.baseUrl, '/api/chat');
    if (!options.model) throw new UserError('a model name is required for the Ollama provider', '/model');
    this.name = `ollama:${options.model}`;
  }

  extract(text: string, schema: ExtractionSchema, opts: ExtractOptions = {}): Promise<ExtractionResult> {
    return extractInPieces(text, schema, this.name, (piece, candidates, ask) => this.ask(schema, piece, candidates, ask), { ...this.options, ...opts });
  }

  private ask(schema: ExtractionSchema, text: string, candidates: string[], { signal, onChunk }: AskOptions): Promise<string> {
    const o = this.options;
    const body = {
      model: o.model,
      messages: extractionMessages(schema, text),
      format: extractionJsonSchema(schema, candidates),
      stream: o.stream === true,
      options: { temperature: 0 },
    };
    return requestJson(this.url, body, {}, { ...o, provider: this.name, signal }, async (response, maxBytes) => {
      const chunks = o.stream && !isJsonResponse(response) ? readNdjson(limitedBody(response, maxBytes)) : once(readJsonBody(response, maxBytes));
      let content = '';
      for await (const event of chunks) {
        const e = event as ChatChunk;
        if (e.error) throw new UserError(excerpt(String(e.error), 300));
        const chunk = e.message?.content;
        if (typeof chunk === 'string' && chunk) {
          content += chunk;
          onChunk(chunk);
        }
        if (e.done) break;
      }
      return content;
    });
  }
}

async function* once<T>(value: Promise<T>): AsyncGenerator<T> {
  yield await value;
}
