import { extractionGbnf } from '../constraints';
import { extractionMessages } from '../prompt';
import type { ExtractionSchema } from '../schema';
import type { ExtractionProvider, ExtractionResult, ExtractOptions } from '../types';
import { endpointUrl, isJsonResponse, limitedBody, readJsonBody, readSse, requestJson } from './http';
import { extractInPieces, type AskOptions, type RemoteOptions } from './remote';

/**
 * A llama.cpp server: `POST {baseUrl}/completion` with a GBNF `grammar` whose span rule only
 * derives word-level substrings of the piece. The chat prompt is flattened into one plain
 * prompt (the server's own chat template is not applied on this endpoint).
 */
export interface LlamaCppProviderOptions extends RemoteOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  stream?: boolean;
  /** Most tokens to generate (default 1024). */
  maxTokens?: number;
}

interface CompletionChunk {
  content?: string;
  stop?: boolean;
}

export class LlamaCppProvider implements ExtractionProvider {
  readonly name = 'llamacpp';
  private readonly url: URL;

  constructor(private readonly options: LlamaCppProviderOptions) {
    this.url = endpointUrl(options.baseUrl, '/completion');
  }

  extract(text: string, schema: ExtractionSchema, opts: ExtractOptions = {}): Promise<ExtractionResult> {
    return extractInPieces(text, schema, this.name, (piece, candidates, ask) => this.ask(schema, piece, candidates, ask), { ...this.options, ...opts });
  }

  private ask(schema: ExtractionSchema, text: string, candidates: string[], { signal, onChunk }: AskOptions): Promise<string> {
    const o = this.options;
    const body = {
      prompt: extractionMessages(schema, text).map((m) => m.content).join('\n\n') + '\n\nJSON:\n',
      grammar: extractionGbnf(schema, candidates),
      n_predict: o.maxTokens ?? 1024,
      temperature: 0,
      stream: o.stream === true,
    };
    return requestJson(this.url, body, {}, { ...o, provider: this.name, signal }, async (response, maxBytes) => {
      if (o.stream && !isJsonResponse(response)) {
        let content = '';
        for await (const event of readSse(limitedBody(response, maxBytes))) {
          const e = event as CompletionChunk;
          if (typeof e.content === 'string' && e.content) {
            content += e.content;
            onChunk(e.content);
          }
          if (e.stop) break;
        }
        return content;
      }
      const content = ((await readJsonBody(response, maxBytes)) as CompletionChunk).content;
      const answer = typeof content === 'string' ? content : '';
      onChunk(answer);
      return answer;
    });
  }
}
