import { UserError } from '../../errors';
import { excerpt } from '../../util/untrustedText';

/**
 * HTTP plumbing shared by the remote providers, written for an endpoint that may misbehave or
 * be hostile: Node's built-in `fetch`, a per-attempt timeout (`AbortSignal.timeout`, which
 * also bounds reading the body) combined with the caller's signal, retries with exponential
 * backoff on 429, 5xx, timeouts and unusable 200 answers (honouring `Retry-After` up to a cap),
 * a cap on the bytes read from any response (counted as they stream in), no redirects (they
 * would re-send the text, and possibly the key, elsewhere), and redaction of secrets and URL
 * credentials from every message so an API key never reaches a log.
 */
export interface HttpOptions {
  /** Per attempt (request and whole body), milliseconds (default 60,000). */
  timeoutMs?: number;
  /** Extra attempts after the first on 429/5xx/network errors/bad answers (default 2). */
  retries?: number;
  /** First backoff delay, doubled per retry (default 500 ms). */
  backoffMs?: number;
  signal?: AbortSignal;
  /** Strings to scrub from error messages (API keys). */
  secrets?: string[];
  /** Which provider, for messages. */
  provider: string;
  /** Most bytes read from one response body (default `DEFAULT_MAX_RESPONSE_BYTES`). */
  maxResponseBytes?: number;
}

/**
 * 8 MiB: a streamed answer of 4,096 tokens is about 1 MiB of server-sent events (each token
 * comes wrapped in ~250 bytes of JSON), so this leaves room for long answers while a flooding
 * server is cut off long before it can bloat the process.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** An error response is only read for its message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_RETRY_AFTER_MS = 30_000;

/** A response that arrived but cannot be used (not JSON, cut off): worth another attempt. */
export class BadResponseError extends UserError {}

export function redact(text: string, secrets: (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  // Also anything that looks like a bearer token, an OpenAI-style key or URL credentials.
  return out
    .replace(/\bBearer\s+[^\s"']+/gi, 'Bearer ***')
    .replace(/\bBasic\s+[A-Za-z0-9+/]{6,}={0,2}/g, 'Basic ***')
    .replace(/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-***')
    .replace(/\b(https?:\/\/)[^\s/@]+@/gi, '$1***@');
}

/**
 * The URL of `endpointPath` under `baseUrl`, built with the URL API: a query string in the base
 * URL (e.g. Azure's `?api-version=`) stays a query string after the path.
 */
export function endpointUrl(baseUrl: string, endpointPath: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new UserError(`base URL is not a valid URL: "${excerpt(redact(baseUrl), 200)}"`, '/baseUrl');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`base URL must start with http:// or https:// (got "${displayUrl(url)}")`, '/baseUrl');
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${endpointPath}`;
  url.hash = '';
  return url;
}

/** A URL for messages: user name and password replaced by `***`, query values too. */
export function displayUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return excerpt(redact(String(url)), 200);
  }
  if (u.username || u.password) {
    u.username = '***';
    u.password = '';
  }
  for (const key of [...new Set(u.searchParams.keys())]) u.searchParams.set(key, '***');
  return u.href;
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
 * Credentials written into a URL (`https://user:password@host/`): fetch refuses such URLs (and
 * echoes them in its error), so they are taken out and sent as HTTP Basic authentication.
 */
function takeCredentials(url: URL): { authorization?: string; secrets: string[] } {
  if (!url.username && !url.password) return { secrets: [] };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const token = Buffer.from(`${user}:${password}`).toString('base64');
  const secrets = [url.username, url.password, user, password, token];
  url.username = '';
  url.password = '';
  return { authorization: `Basic ${token}`, secrets };
}

/**
 * POST `body` as JSON to `url` and return what `read` makes of the (2xx) response, retrying
 * the whole exchange when it fails in a way another attempt may fix. `read` gets the body's
 * size limit; use `readJsonBody`, `readSse` or `readNdjson` on `limitedBody(...)`.
 * Failures become `UserError`s naming the provider and URL (the configuration is the user's).
 */
export async function requestJson<T>(
  url: URL,
  body: unknown,
  headers: Record<string, string>,
  opts: HttpOptions,
  read: (response: Response, maxBytes: number) => Promise<T>,
): Promise<T> {
  const retries = opts.retries ?? 2;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const backoff = opts.backoffMs ?? 500;
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const target = new URL(url);
  const credentials = takeCredentials(target);
  const secrets = [...(opts.secrets ?? []), ...credentials.secrets];
  const where = `${opts.provider} (${displayUrl(url)})`;
  const fail = (message: string) => new UserError(redact(`${where}: ${message}`, secrets));
  const sent: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream, application/x-ndjson',
    ...headers,
  };
  if (credentials.authorization) {
    if (sent.authorization) throw fail('the base URL has a user name or password and an API key is set too; use one of them');
    sent.authorization = credentials.authorization;
  }
  const payload = JSON.stringify(body);
  let lastError = '';
  let delay = 0;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(delay, opts.signal);
    opts.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    delay = backoff * 2 ** attempt;
    let response: Response;
    try {
      response = await fetch(target, { method: 'POST', headers: sent, body: payload, signal, redirect: 'manual' });
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      lastError = timeout.aborted ? `no response within ${timeoutMs} ms` : `request failed: ${(e as Error).message}${causeOf(e)}`;
      continue;
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      const to = location ? ` to ${displayUrl(new URL(location, target))}` : '';
      throw fail(`the server answered with a redirect (HTTP ${response.status})${to}; redirects are not followed, since they would send your text elsewhere: set the base URL to the final address`);
    }
    if (!response.ok) {
      const text = await readText(response, MAX_ERROR_BODY_BYTES).catch(() => '');
      lastError = `HTTP ${response.status} ${excerpt(response.statusText, 60)}${text ? `: ${excerpt(text, 300)}` : ''}`;
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable) break;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) delay = Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS);
      continue;
    }
    try {
      return await read(response, maxBytes);
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      await response.body?.cancel().catch(() => undefined);
      if (timeout.aborted) lastError = `no complete answer within ${timeoutMs} ms`;
      else if (e instanceof BadResponseError) lastError = e.message;
      else if (e instanceof UserError) throw fail(e.message);
      else lastError = `the answer broke off: ${(e as Error).message}${causeOf(e)}`;
    }
  }
  const attempts = retries > 0 && lastError && !/^HTTP 4(?!29)/.test(lastError) ? ` (after ${retries + 1} attempts)` : '';
  throw fail(`${lastError}${attempts}`);
}

function causeOf(e: unknown): string {
  const cause = (e as { cause?: { message?: string; code?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? ''})` : '';
}

/** The response body's chunks as they arrive; a `UserError` once more than `maxBytes` came. */
export async function* limitedBody(response: Response, maxBytes: number): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > maxBytes) throw new UserError(`the answer is larger than ${formatBytes(maxBytes)}; stopped reading it`);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
}

/** The whole body as text, at most `maxBytes`. */
export async function readText(response: Response, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of limitedBody(response, maxBytes)) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** The body parsed as a JSON object (a `BadResponseError`, which is retried, when it is not one). */
export async function readJsonBody(response: Response, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readText(response, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const type = response.headers.get('content-type');
    throw new BadResponseError(`the answer is not JSON${type ? ` (${excerpt(type, 60)})` : ''}: ${excerpt(text, 120) || '(empty)'}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadResponseError(`the answer is not a JSON object: ${excerpt(text, 120)}`);
  return value as Record<string, unknown>;
}

/** Whether the server answered with one JSON document (some ignore a request to stream). */
export function isJsonResponse(response: Response): boolean {
  return /\bapplication\/json\b/i.test(response.headers.get('content-type') ?? '');
}

/** A body as it arrives: `limitedBody(...)`, or any stream of bytes. */
export type ByteStream = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Lines of a streamed body as they arrive (UTF-8 safe across chunk boundaries). */
export async function* readLines(body: ByteStream): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let from = 0;
    let nl: number;
    while ((nl = buffer.indexOf('\n', from)) !== -1) {
      yield buffer.slice(from, nl).replace(/\r$/, '');
      from = nl + 1;
    }
    buffer = buffer.slice(from);
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer.replace(/\r$/, '');
}

/** Server-sent events: the JSON payload of each `data:` line until `data: [DONE]`. */
export async function* readSse(body: ByteStream): AsyncGenerator<unknown> {
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
export async function* readNdjson(body: ByteStream): AsyncGenerator<unknown> {
  for await (const line of readLines(body)) if (line.trim() !== '') yield parseJsonLine(line);
}

function parseJsonLine(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new BadResponseError(`the server streamed a line that is not JSON: ${excerpt(s, 120)}`);
  }
}

/** Balanced `{...}` candidates tried before giving up on an answer (bounds the work on junk). */
const MAX_JSON_CANDIDATES = 20;

/**
 * Parse the model's answer: a JSON object, possibly inside a Markdown fence or prose (models
 * sometimes add both). The first complete object is taken: braces are matched with strings and
 * escapes respected, so prose with braces after the object does not spoil it.
 */
export function parseModelJson(content: string, provider: string): Record<string, unknown> {
  const direct = parseObject(content.trim());
  if (direct) return direct;
  let tries = 0;
  for (let start = content.indexOf('{'); start !== -1 && tries < MAX_JSON_CANDIDATES; tries++) {
    const end = closingBrace(content, start);
    const inner = end === -1 ? undefined : parseObject(content.slice(start, end + 1));
    if (inner) return inner;
    start = content.indexOf('{', start + 1);
  }
  throw new BadResponseError(`${provider}: the model's answer is not a JSON object: ${excerpt(content, 120) || '(empty)'}`);
}

function parseObject(s: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(s) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Index of the `}` that closes the `{` at `start` (JSON strings skipped), or -1. */
function closingBrace(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return i;
  }
  return -1;
}
