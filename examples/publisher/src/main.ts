// Runs the enriched publisher or the Discord notifier against a NATS server (NATS_URL):
//   npm run publisher -w @pmoves/examples   # approved → enriched content.published.v1
//   npm run discord -w @pmoves/examples     # content.published.v1 → DISCORD_WEBHOOK_URL
import { discordOptionsFromEnv } from '@pmoves/publisher-meta';
import { createQwenAudioAdapterFromEnv } from '@pmoves/qwen-audio';
import { connectNatsBus } from '../../common/src/bus';
import { createLogger, errorMessage } from '../../common/src/log';
import { onShutdown } from '../../common/src/shutdown';
import { loadDiscordConfig, loadPublisherConfig } from './config';
import { startDiscordNotifier } from './discord-notifier';
import { audioHook, clipHook } from './enrichment';
import { startPublisherService } from './service';
import { openAudioStore, openClip } from './wiring';

const USAGE = `usage: main.ts publisher|discord

  publisher  content.publish.approved.v1 → enriched content.published.v1
             CLIP best match: CLIP_ENDPOINT, CLIP_MODEL_PATH or CLIP_MODEL
             similar library assets: a CLIP index (CLIP_INDEX_STORE or CLIP_INDEX_PATH)
             audio: media_audio_analysis (DATABASE_URL or SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY),
                    or analysed here with JELLYFIN_AUDIO_QWEN_ENABLE=true QWEN_AUDIO_URL=…
  discord    content.published.v1 → DISCORD_WEBHOOK_URL (content.publish.failed.v1 when it gives up)

  NATS_URL (default nats://127.0.0.1:4222). Every variable: docs/LOCAL_TOOLING_REFERENCE.md`;

async function main(): Promise<void> {
  const which = process.argv[2];
  if (which !== 'publisher' && which !== 'discord') {
    console.error(USAGE);
    process.exit(which === '--help' || which === '-h' ? 0 : 2);
  }
  console.error(USAGE.split('\n')[0]);
  const log = createLogger(which === 'publisher' ? 'publisher' : 'publisher-discord');
  const env = process.env;

  if (which === 'discord') {
    let cfg;
    try {
      cfg = loadDiscordConfig(env);
    } catch (err) {
      log('error', 'configuration rejected', { error: errorMessage(err) });
      process.exit(2);
    }
    const bus = await connectNatsBus(cfg.natsUrl, { name: 'pmoves-publisher-discord' });
    const sub = startDiscordNotifier({
      bus,
      webhookUrl: cfg.webhookUrl,
      format: discordOptionsFromEnv(env),
      log,
    });
    await bus.flush(); // the subscription is registered at the server before "ready"
    log('info', 'discord notifier ready', { nats: bus.where });
    onShutdown(async () => {
      await sub.drain();
      await bus.close();
    }, log);
    return;
  }

  let cfg;
  try {
    cfg = await loadPublisherConfig(env);
  } catch (err) {
    log('error', 'configuration rejected', { error: errorMessage(err) });
    process.exit(2);
  }
  for (const w of cfg.warnings) log('warn', 'configuration', { warning: w });
  const bus = await connectNatsBus(cfg.natsUrl, { name: 'pmoves-enriched-publisher' });
  const clip = await openClip(cfg, env);
  const audioStore = openAudioStore(cfg.store);
  await audioStore.store?.migrate();
  const adapter = cfg.audioAnalysis ? createQwenAudioAdapterFromEnv(env) : undefined;
  const { store, findByContentHash } = audioStore;
  const sub = startPublisherService({
    bus,
    publish: { mediaLibraryPath: cfg.libraryPath, mediaLibraryPublicBaseUrl: cfg.publicBaseUrl },
    hooks: {
      ...(clip.reranker || clip.library
        ? { clip: clipHook(clip.reranker, { ...(clip.library ? { library: clip.library } : {}), log }) }
        : {}),
      ...(store || adapter
        ? {
            audio: audioHook({
              ...(store ? { store } : {}),
              ...(findByContentHash ? { findByContentHash } : {}),
              ...(adapter ? { adapter } : {}),
              log,
            }),
          }
        : {}),
    },
    clipTimeoutMs: cfg.clipTimeoutMs,
    audioTimeoutMs: cfg.audioTimeoutMs,
    log,
  });
  await bus.flush(); // the subscription is registered at the server before "ready"
  log('info', 'enriched publisher ready', {
    nats: bus.where,
    clip: !!clip.reranker,
    clip_index: clip.library ? clip.library.index.store.kind : null,
    audio_store: cfg.store.kind,
    audio_analysis: cfg.audioAnalysis,
  });
  onShutdown(async () => {
    await sub.drain();
    await bus.close();
    await clip.close();
    await audioStore.close();
  }, log);
}

main().catch((err) => {
  console.error(JSON.stringify({ ts: new Date().toISOString(), level: 'error', msg: errorMessage(err) }));
  process.exit(1);
});
