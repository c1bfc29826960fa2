// content.published.v1 in, a Discord webhook post out — what PMOVES's publisher-discord does,
// with the embed guaranteed to fit Discord's limits, its delivery semantics, and
// content.publish.failed.v1 when delivery gives up.
import {
  formatPublishedEmbed,
  parseEnvelope,
  PublishedPayloadSchema,
  type DiscordFormatOptions,
} from '@pmoves/publisher-meta';
import type { Bus, BusSubscription } from '../../common/src/bus';
import { errorMessage, type Logger } from '../../common/src/log';
import { DiscordPostError, postToDiscord, type DiscordPostOptions } from './discord-post';
import { discordFailedEvent, PUBLISH_FAILED_TOPIC } from './failed-event';
import { SUBJECTS } from './service';

/** Options of {@link startDiscordNotifier}. */
export interface DiscordNotifierOptions {
  bus: Bus;
  /** `DISCORD_WEBHOOK_URL`. Never logged: it carries the webhook's secret token. */
  webhookUrl: string;
  format?: DiscordFormatOptions;
  /** Delivery settings (PMOVES's by default). */
  post?: Omit<DiscordPostOptions, 'signal'>;
  /** Queue group, so several notifiers post each event once. */
  queue?: string;
  log: Logger;
}

/** Subscribes to `content.published.v1` and posts each event's embed to the webhook. */
export function startDiscordNotifier(opts: DiscordNotifierOptions): BusSubscription {
  const { bus, log } = opts;
  const stopping = new AbortController();
  const sub = bus.subscribe(
    SUBJECTS.published,
    async (msg) => {
      let env;
      let payload;
      try {
        env = parseEnvelope(JSON.parse(new TextDecoder().decode(msg.data)));
        payload = PublishedPayloadSchema.parse(env.payload);
      } catch (err) {
        log('error', 'published event rejected', { error: errorMessage(err) });
        return;
      }
      const body = formatPublishedEmbed(payload, opts.format ?? {});
      try {
        const res = await postToDiscord(opts.webhookUrl, body, { ...opts.post, signal: stopping.signal });
        log('info', 'discord posted', { id: env.id, attempts: res.attempts });
      } catch (err) {
        const e = err instanceof DiscordPostError ? err : new DiscordPostError(errorMessage(err), false);
        const failed = discordFailedEvent(env, payload, {
          reason: e.message,
          retryable: e.retryable,
          attempts: e.attempts,
          ...(e.status !== undefined ? { status: e.status } : {}),
        });
        bus.publish(PUBLISH_FAILED_TOPIC, JSON.stringify(failed));
        log('warn', 'discord delivery failed', {
          id: env.id,
          attempts: e.attempts,
          status: e.status ?? null,
          failed_event: failed.id,
        });
      }
    },
    { queue: opts.queue ?? 'pmoves-publisher-discord' },
  );
  return {
    async drain() {
      await sub.drain();
      stopping.abort();
    },
  };
}
