// One JSON POST with a timeout and typed failures; shared by the HTTP providers.
import { RerankError } from '../errors';

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** Timeout, ms. */
  timeoutMs: number;
  /** Cancellation from the chain. */
  signal?: AbortSignal;
  /** Extra headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** `fetch` implementation (default: global fetch). */
  fetch?: typeof fetch;
  /** Only parse JSON when the answer says `application/json` (TensorZero, as upstream). */
  requireJsonContentType?: boolean;
}

/** URL without query string or credentials, for error messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** POST `body` as JSON and return the parsed answer; any non-2xx, network error or bad JSON throws. */
export async function postJson(url: string, body: unknown, options: PostJsonOptions): Promise<unknown> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (deadline.aborted) {
      throw new RerankError('timeout', `${safeUrl(url)} did not answer within ${options.timeoutMs} ms`, {
        cause: err,
      });
    }
    if (options.signal?.aborted)
      throw new RerankError('aborted', `${safeUrl(url)}: cancelled`, { cause: err });
    throw new RerankError('provider', `${safeUrl(url)} unreachable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    const code = deadline.aborted ? 'timeout' : 'provider';
    throw new RerankError(code, `${safeUrl(url)}: reading the answer failed`, { cause: err });
  }
  if (!res.ok) {
    const retry = res.headers.get('retry-after');
    const hint = res.status === 429 ? ` (rate limited${retry ? `, retry after ${retry}` : ''})` : '';
    throw new RerankError('provider', `${safeUrl(url)} answered HTTP ${res.status}${hint}`, {
      status: res.status,
    });
  }
  if (
    options.requireJsonContentType &&
    !(res.headers.get('content-type') ?? '').startsWith('application/json')
  ) {
    throw new RerankError(
      'provider',
      `${safeUrl(url)} answered ${res.headers.get('content-type') ?? 'no content type'}, not JSON`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RerankError('provider', `${safeUrl(url)} answered malformed JSON`, { cause: err });
  }
}
