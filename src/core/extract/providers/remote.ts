import { assembleResult } from '../assemble';
import { textPieces, type CandidateOptions } from '../constraints';
import type { ExtractionSchema } from '../schema';
import type { EntityRef, ExtractionResult, ExtractOptions } from '../types';
import { parseModelJson } from './http';

/**
 * How the remote providers extract from a text of any length: the text is cut into pieces of
 * whole sentences whose candidate spans fit one constrained request (`textPieces`), each piece
 * is sent on its own (a few at a time), and the answers, each grounded in its own piece, are
 * merged with offsets into the whole text. Every entity of the text is thus a candidate of
 * some request; a relation between entities of different pieces cannot be reported.
 */
export interface RemoteOptions {
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  /** Most bytes read from one response (default `DEFAULT_MAX_RESPONSE_BYTES`). */
  maxResponseBytes?: number;
  /** Candidate limits per request. */
  candidates?: CandidateOptions;
  /** Requests in flight at once (default 3). */
  concurrency?: number;
}

export interface AskOptions {
  signal: AbortSignal;
  /** Each piece of the answer text as it arrives. */
  onChunk: (chunk: string) => void;
}

/** One request about `text`, whose span fields may only take `candidates`; resolves to the model's answer text. */
export type AskModel = (text: string, candidates: string[], options: AskOptions) => Promise<string>;

export async function extractInPieces(
  text: string, schema: ExtractionSchema, provider: string, ask: AskModel, options: ExtractOptions & RemoteOptions = {},
): Promise<ExtractionResult> {
  const pieces = textPieces(text, options.candidates);
  const results: ExtractionResult[] = new Array(pieces.length);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let received = 0;
  let done = 0;
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < pieces.length) {
      signal.throwIfAborted();
      const index = next++;
      const piece = pieces[index];
      const pieceText = text.slice(piece.start, piece.end);
      try {
        const answer = await ask(pieceText, piece.candidates, {
          signal,
          onChunk: (chunk) => {
            received += chunk.length;
            options.onProgress?.({ receivedChars: received, chunk, piecesDone: done, pieces: pieces.length });
          },
        });
        results[index] = shifted(assembleResult(pieceText, schema, parseModelJson(answer, provider), provider), piece.start);
      } catch (e) {
        stop.abort(e); // the other requests are pointless now
        throw e;
      }
      done++;
      options.onProgress?.({ receivedChars: received, chunk: '', piecesDone: done, pieces: pieces.length });
    }
  };
  const workers = Array.from({ length: Math.min(options.concurrency ?? 3, pieces.length) }, work);
  const outcomes = await Promise.allSettled(workers);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw options.signal?.aborted ? options.signal.reason : stop.signal.aborted ? stop.signal.reason : failed.reason;
  // Pieces are in text order and each result is sorted, so the concatenation is too.
  return {
    entities: results.flatMap((r) => r.entities),
    relations: results.flatMap((r) => r.relations),
    events: results.flatMap((r) => r.events),
    ungrounded: results.reduce((n, r) => n + r.ungrounded, 0),
    provider,
  };
}

/** A piece's result with its offsets moved into the whole text. */
function shifted(r: ExtractionResult, by: number): ExtractionResult {
  const move = <T extends EntityRef>(e: T): T => ({ ...e, start: e.start + by, end: e.end + by });
  return {
    ...r,
    entities: r.entities.map(move),
    relations: r.relations.map((x) => ({ ...x, head: move(x.head), tail: move(x.tail) })),
    events: r.events.map((ev) => ({ ...ev, trigger: move(ev.trigger), arguments: ev.arguments.map((a) => ({ ...a, entity: move(a.entity) })) })),
  };
}
