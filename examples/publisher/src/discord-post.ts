// Posting a webhook body to Discord the way PMOVES's publisher-discord does: 15 s per attempt,
// 3 attempts; HTTP 429 waits for the `Retry-After` header (or the JSON body's `retry_after`),
// 5xx and connection errors back off 1 s doubling to 8 s, any other 4xx fails at once. The
// retries run on cockatiel's retry policy with a backoff that reads each failure.
import { handleWhen, retry, type IBackoffFactory, type IRetryBackoffContext } from 'cockatiel';

/** Options of {@link postToDiscord}. */
export interface DiscordPostOptions {
  /** Per attempt, ms (PMOVES: 15 s). */
  timeoutMs?: number;
  /** Attempts in all (PMOVES: 3). */
  attempts?: number;
  /** First back-off after a 5xx or connection error, ms (PMOVES: 1 s); doubles each time. */
  baseDelayMs?: number;
  /** Largest back-off, ms (PMOVES: 8 s). */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured, ms (a bound PMOVES does not have; default 60 s). */
  maxRetryAfterMs?: number;
  /** Cancels the post (e.g. on shutdown). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** Why a post failed; `retryable` says whether another attempt could have succeeded. */
export class DiscordPostError extends Error {
  /**
   * @param message - what failed (never the webhook URL: it carries the token)
   * @param retryable - 429, 5xx or a connection error
   * @param status - the HTTP status, when Discord answered
   * @param retryAfterMs - the wait a 429 asked for
   */
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DiscordPostError';
  }

  /** Attempts made before giving up. */
  attempts = 1;
}

/** What a successful post took. */
export interface DiscordPostResult {
  attempts: number;
  status: number;
}

/** Seconds (decimals allowed) from a `Retry-After` header or a `retry_after` JSON field, as ms. */
async function retryAfterMs(res: Response): Promise<number | undefined> {
  const header = res.headers.get('retry-after');
  if (header !== null && /^\s*\d+(\.\d+)?\s*$/.test(header)) return Math.round(Number(header) * 1000);
  const body = (await res.json().catch(() => null)) as { retry_after?: unknown } | null;
  const s = body?.retry_after;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : undefined;
}

/** Back-off that reads the failure: a 429's own wait, else the doubling delay. */
function discordBackoff(
  base: number,
  max: number,
  maxRetryAfter: number,
  delay = base,
): IBackoffFactory<IRetryBackoffContext<unknown>> {
  return {
    next(ctx) {
      const err = 'error' in ctx.result ? ctx.result.error : undefined;
      const asked = err instanceof DiscordPostError ? err.retryAfterMs : undefined;
      const duration = asked !== undefined ? Math.min(asked, maxRetryAfter) : delay;
      return { duration, next: discordBackoff(base, max, maxRetryAfter, Math.min(delay * 2, max)).next };
    },
  };
}

/**
 * POSTs `body` as JSON to the webhook. Resolves on 200/204; throws the last
 * {@link DiscordPostError} when every attempt failed or Discord refused the body (4xx).
 */
export async function postToDiscord(
  webhookUrl: string,
  body: unknown,
  opts: DiscordPostOptions = {},
): Promise<DiscordPostResult> {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const attempts = opts.attempts ?? 3;
  const base = opts.baseDelayMs ?? 1_000;
  const policy = retry(
    handleWhen((err) => err instanceof DiscordPostError && err.retryable),
    {
      maxAttempts: attempts - 1, // cockatiel counts retries after the first call
      backoff: discordBackoff(base, opts.maxDelayMs ?? 8_000, opts.maxRetryAfterMs ?? 60_000),
    },
  );
  let calls = 0;
  const run = policy.execute(async ({ signal }) => {
    calls++;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signals = [signal, timeout, ...(opts.signal ? [opts.signal] : [])];
    let res: Response;
    try {
      res = await doFetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw new DiscordPostError('post cancelled', false);
      const why = timeout.aborted ? `timed out after ${timeoutMs} ms` : (err as Error).message;
      throw new DiscordPostError(`Discord webhook unreachable: ${why}`, true);
    }
    if (res.status === 200 || res.status === 204) {
      await res.body?.cancel();
      return { attempts: calls, status: res.status };
    }
    if (res.status === 429) {
      throw new DiscordPostError(
        'Discord webhook answered HTTP 429 (rate limited)',
        true,
        429,
        await retryAfterMs(res),
      );
    }
    const text = (await res.text().catch(() => '')).slice(0, 200);
    const retryable = res.status >= 500 && res.status < 600;
    throw new DiscordPostError(
      `Discord webhook answered HTTP ${res.status}${text ? `: ${text}` : ''}`,
      retryable,
      res.status,
    );
  }, opts.signal);
  try {
    return await run;
  } catch (err) {
    if (err instanceof DiscordPostError) err.attempts = calls;
    throw err;
  }
}
