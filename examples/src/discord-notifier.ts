// content.published.v1 in, a Discord webhook post out — what PMOVES's publisher-discord does,
// with the embed guaranteed to fit Discord's limits.
import {
  discordOptionsFromEnv,
  formatPublishedEmbed,
  parseEnvelope,
  PublishedPayloadSchema,
  type DiscordFormatOptions,
} from '@pmoves/publisher-meta';
import type { NatsConnection, Subscription } from 'nats';
import { log } from './log';
import { SUBJECTS } from './publisher-service';

/** Options of {@link startDiscordNotifier}. */
export interface DiscordNotifierOptions {
  nc: NatsConnection;
  /** `DISCORD_WEBHOOK_URL`. Never logged: it carries the webhook's secret token. */
  webhookUrl: string;
  format?: DiscordFormatOptions;
  /** Per-post timeout, ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Subscribes to `content.published.v1` and posts each event's embed to the webhook. */
export function startDiscordNotifier(opts: DiscordNotifierOptions): Subscription {
  const doFetch = opts.fetch ?? fetch;
  const format = opts.format ?? discordOptionsFromEnv();
  const sub = opts.nc.subscribe(SUBJECTS.published);
  void (async () => {
    for await (const msg of sub) {
      try {
        const env = parseEnvelope(JSON.parse(new TextDecoder().decode(msg.data)));
        const body = formatPublishedEmbed(PublishedPayloadSchema.parse(env.payload), format);
        await postWithRateLimit(doFetch, opts.webhookUrl, body, opts.timeoutMs ?? 10_000);
        log('info', 'discord posted', { id: env.id });
      } catch (err) {
        log('error', 'discord post failed', { error: (err as Error).message });
      }
    }
  })();
  return sub;
}

// Discord answers 429 with retry_after (seconds); honour it once, capped, then give up.
async function postWithRateLimit(doFetch: typeof fetch, url: string, body: unknown, timeoutMs: number) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.ok) return;
    if (res.status === 429 && attempt === 0) {
      const retry = Number(
        ((await res.json().catch(() => ({}))) as { retry_after?: number }).retry_after ?? 1,
      );
      await new Promise((r) => setTimeout(r, Math.min(Math.max(retry, 0), 5) * 1000));
      continue;
    }
    throw new Error(`Discord webhook answered HTTP ${res.status}`);
  }
}
