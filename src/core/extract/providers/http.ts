import { UserError } from '../../errors';

/**
 * HTTP plumbing shared by the remote providers: Node's built-in `fetch`, a per-attempt timeout
 * (`AbortSignal.timeout`) combined with the caller's signal, retries with exponential backoff
 * on 429 and 5xx (honouring `Retry-After` up to a cap), and redaction of secrets from every
 * error message so an API key never reaches a log.
 */
export interface HttpOptions {
  /** Per attempt, milliseconds (default 60,000). */
  timeoutMs?: number;
  /** Extra attempts after the first on 429/5xx/network errors (default 2). */
  retries?: number;
  /** First backoff delay, doubled per retry (default 500 ms). */
  backoffMs?: number;
  signal?: AbortSignal;
  /** Strings to scrub from error messages (API keys). */
  secrets?: string[];
  /** Which provider, for messages. */
  provider: string;
}

const MAX_RETRY_AFTER_MS = 30_000;

export function redact(text: string, secrets: (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  // Also anything that looks like a bearer token or an OpenAI-style key.
  return out.replace(/Bearer\s+[^\s"']+/gi, 'Bearer ***').replace(/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-***');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * POST JSON and return the (ok) response, whose body the caller reads (possibly as a stream).
 * Failures become `UserError`s naming the provider and URL (the configuration is the user's).
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, opts: HttpOptions): Promise<Response> {
  const retries = opts.retries ?? 2;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const backoff = opts.backoffMs ?? 500;
  const where = redact(`${opts.provider} (${url})`, opts.secrets);
  let lastError = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    opts.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream, application/x-ndjson', ...headers },
        body: JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      lastError = timeout.aborted ? `no response within ${timeoutMs} ms` : `request failed: ${(e as Error).message}${causeOf(e)}`;
      if (attempt < retries) { await sleep(backoff * 2 ** attempt, opts.signal); continue; }
      throw new UserError(redact(`${where}: ${lastError}`, opts.secrets));
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    lastError = `HTTP ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 300).replace(/\s+/g, ' ')}` : ''}`;
    const retryable = response.status === 429 || response.status >= 500;
    if (!retryable || attempt === retries) break;
    const retryAfter = Number(response.headers.get('retry-after'));
    const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS) : backoff * 2 ** attempt;
    await sleep(delay, opts.signal);
  }
  throw new UserError(redact(`${where}: ${lastError}`, opts.secrets));
}

function causeOf(e: unknown): string {
  const cause = (e as { cause?: { message?: string; code?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? ''})` : '';
}

/** Lines of a streamed body as they arrive (UTF-8 safe across chunk boundaries). */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      yield buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
    }
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer.replace(/\r$/, '');
}

/** Server-sent events: the JSON payload of each `data:` line until `data: [DONE]`. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  let data: string[] = [];
  for await (const line of readLines(body)) {
    if (line.startsWith('data:')) { data.push(line.slice(5).trimStart()); continue; }
    if (line === '' && data.length > 0) {
      const payload = data.join('\n');
      data = [];
      if (payload === '[DONE]') return;
      yield parseJsonLine(payload);
    }
  }
  if (data.length > 0 && data.join('\n') !== '[DONE]') yield parseJsonLine(data.join('\n'));
}

/** Newline-delimited JSON (Ollama's streaming format). */
export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  for await (const line of readLines(body)) if (line.trim() !== '') yield parseJsonLine(line);
}

function parseJsonLine(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new UserError(`provider streamed a line that is not JSON: ${s.slice(0, 120)}`);
  }
}

/** Parse the model's answer: JSON, or the first {...} block in it (models sometimes add prose). */
export function parseModelJson(content: string, provider: string): Record<string, unknown> {
  const tryParse = (s: string) => {
    try {
      const v = JSON.parse(s) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const direct = tryParse(content.trim());
  if (direct) return direct;
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  const inner = start !== -1 && end > start ? tryParse(content.slice(start, end + 1)) : undefined;
  if (inner) return inner;
  throw new UserError(`${provider}: the model's answer is not a JSON object: ${content.slice(0, 120).replace(/\s+/g, ' ')}`);
}
