// Runs the example services against a NATS server (NATS_URL):
//   npx tsx examples/src/main.ts publisher   # approved → enriched content.published.v1
//   npx tsx examples/src/main.ts discord     # content.published.v1 → DISCORD_WEBHOOK_URL
import { connect } from 'nats';
import { natsUrl } from './config';
import { startDiscordNotifier } from './discord-notifier';
import { audioHookFromEnv, clipHookFromEnv } from './enrichment';
import { log } from './log';
import { startPublisherService } from './publisher-service';

const which = process.argv[2];
const env = process.env;
const nc = await connect({ servers: natsUrl(env) });

if (which === 'publisher') {
  const clipOn = !!(env.CLIP_ENDPOINT || env.CLIP_MODEL_PATH);
  startPublisherService({
    nc,
    publish: {
      mediaLibraryPath: env.MEDIA_LIBRARY_PATH,
      mediaLibraryPublicBaseUrl: env.MEDIA_LIBRARY_PUBLIC_BASE_URL ?? null,
    },
    hooks: { clip: clipOn ? clipHookFromEnv(env) : undefined, audio: audioHookFromEnv(env) },
  });
  log('info', 'enriched publisher ready', { clip: clipOn, audio: env.JELLYFIN_AUDIO_QWEN_ENABLE ?? 'off' });
} else if (which === 'discord') {
  if (!env.DISCORD_WEBHOOK_URL) throw new Error('DISCORD_WEBHOOK_URL is required');
  startDiscordNotifier({ nc, webhookUrl: env.DISCORD_WEBHOOK_URL });
  log('info', 'discord notifier ready');
} else {
  console.error('usage: main.ts publisher|discord');
  process.exit(2);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => void nc.drain().then(() => process.exit(0)));
