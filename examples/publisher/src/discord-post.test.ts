// postToDiscord against a loopback stand-in speaking Discord's webhook answers (204, 429 with
// Retry-After or retry_after, 5xx, 4xx), through the real fetch client.
import { afterEach, describe, expect, it } from 'vitest';
import { startDiscordWebhook } from '../../test/helpers';
import { DiscordPostError, postToDiscord } from './discord-post';

const fast = { baseDelayMs: 20, maxDelayMs: 80, timeoutMs: 2_000 };
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});
async function webhook(script: Parameters<typeof startDiscordWebhook>[0]) {
  const w = await startDiscordWebhook(script);
  closers.push(w.close);
  return w;
}

describe('postToDiscord (PMOVES publisher-discord semantics)', () => {
  it('posts once when Discord answers 204', async () => {
    const w = await webhook([]);
    await expect(postToDiscord(w.url, { content: 'hi' }, fast)).resolves.toEqual({
      attempts: 1,
      status: 204,
    });
    expect(w.requests).toHaveLength(1);
    expect(w.requests[0]!.json).toEqual({ content: 'hi' });
    expect(w.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('waits for the Retry-After header on 429, then posts again', async () => {
    const w = await webhook([{ status: 429, headers: { 'retry-after': '0.3' }, body: { retry_after: 5 } }]);
    const res = await postToDiscord(w.url, {}, fast);
    expect(res.attempts).toBe(2);
    // The header wins over the body, and the wait is at least what it asked for.
    expect(w.requests[1]!.at - w.requests[0]!.at).toBeGreaterThanOrEqual(290);
    expect(w.requests[1]!.at - w.requests[0]!.at).toBeLessThan(5_000);
  });

  it("falls back to the JSON body's retry_after on 429", async () => {
    const w = await webhook([
      { status: 429, body: { message: 'You are being rate limited.', retry_after: 0.25, global: false } },
    ]);
    await postToDiscord(w.url, {}, fast);
    expect(w.requests).toHaveLength(2);
    expect(w.requests[1]!.at - w.requests[0]!.at).toBeGreaterThanOrEqual(240);
  });

  it('backs off on 5xx, doubling, and gives up after 3 attempts with the last error', async () => {
    const w = await webhook([
      { status: 502, body: { message: 'bad gateway' } },
      { status: 503 },
      { status: 500 },
    ]);
    const err = (await postToDiscord(w.url, {}, { ...fast, baseDelayMs: 100, maxDelayMs: 800 }).catch(
      (e) => e,
    )) as DiscordPostError;
    expect(err).toBeInstanceOf(DiscordPostError);
    expect(err.status).toBe(500);
    expect(err.retryable).toBe(true);
    expect(err.attempts).toBe(3);
    expect(w.requests).toHaveLength(3);
    const gaps = [w.requests[1]!.at - w.requests[0]!.at, w.requests[2]!.at - w.requests[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
  });

  it('fails at once on any other 4xx, without retrying', async () => {
    const w = await webhook([{ status: 400, body: { message: 'Invalid Form Body', code: 50035 } }]);
    const err = (await postToDiscord(w.url, {}, fast).catch((e) => e)) as DiscordPostError;
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(err.attempts).toBe(1);
    expect(err.message).toContain('Invalid Form Body');
    expect(err.message).not.toContain('secret-token');
    expect(w.requests).toHaveLength(1);
  });

  it('retries a connection failure and names no secret', async () => {
    const w = await webhook([]);
    const url = w.url;
    await w.close();
    const err = (await postToDiscord(url, {}, fast).catch((e) => e)) as DiscordPostError;
    expect(err.retryable).toBe(true);
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(/unreachable/);
    expect(err.message).not.toContain('secret-token');
  });
});
