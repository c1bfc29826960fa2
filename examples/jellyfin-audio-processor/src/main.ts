// The jellyfin-audio-processor service: `worker` replicas share a JetStream work queue, `poll` feeds it
// with new Jellyfin audio items, `enqueue` is the backfill. Configuration comes from the environment
// (see the README); one message names every bad variable before anything connects.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { log } from './log';
import { audioProcessorOptionsFromEnv, type AudioProcessorOptions, type Needs } from './config';
import { startDeadLetterListener } from './dead-letter';
import { createJellyfinPoller, enqueueBackfill } from './enqueue';
import { AudioProcessorError } from './errors';
import { startHealthServer } from './health';
import { connectNats } from './nats';
import { ensureQueue } from './queue';
import { createAdapter, openStore } from './qwen';
import { runQwenSmoke } from './smoke';
import { startAudioWorker } from './worker';

/** The command-line help. */
export const USAGE = `usage: jellyfin-audio-processor <command> [options]

commands:
  worker               consume the work queue: analyse each item with Qwen2-Audio, store it in
                       media_audio_analysis, publish analysis.audio.qwen.v1 (run several: they share it)
  poll                 every PROCESSING_INTERVAL seconds, enqueue Jellyfin audio items not analysed yet
  enqueue [FILE...]    backfill: enqueue files (item id = absolute path) or, with --jellyfin, the whole
                       Jellyfin audio library; the workers analyse them
    --jellyfin           list Jellyfin (JELLYFIN_URL, JELLYFIN_API_KEY) instead of files
    --files-from LIST    read file paths from LIST (one a line, # comments)
    --since DATE         Jellyfin items created at or after DATE
    --limit N            at most N items
    --force              re-analyse items whose audio, model and prompt are unchanged
    --namespace NS       namespace stored with the items
  smoke                enqueue a probe item and wait for its media_audio_analysis row (npm run smoke:qwen);
                       exits 1 with the reason when none is written

Environment: NATS_URL, AUDIO_QUEUE_*, AUDIO_PROCESSOR_*, DATABASE_URL or SUPABASE_URL +
SUPABASE_SERVICE_ROLE_KEY, JELLYFIN_URL + JELLYFIN_API_KEY, JELLYFIN_AUDIO_QWEN_ENABLE and QWEN_AUDIO_*
(examples/jellyfin-audio-processor/README.md lists them all).`;

const NEEDS: Record<string, (flags: Record<string, unknown>) => Needs> = {
  worker: () => ({ store: true }),
  poll: () => ({ store: true, jellyfin: true }),
  enqueue: (f) => ({ jellyfin: f.jellyfin === true }),
  smoke: () => ({ store: true }),
};

function onSignal(stop: () => Promise<void>): void {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log('info', 'shutting down', { signal: sig });
      stop().then(
        () => process.exit(0),
        (err) => {
          log('error', 'shutdown failed', { error: (err as Error).message });
          process.exit(1);
        },
      );
    });
}

async function runWorker(o: AudioProcessorOptions): Promise<void> {
  const store = openStore(o.store!);
  await store.migrate();
  const adapter = createAdapter(o.qwen);
  const nc = await connectNats(o.servers, 'jellyfin-audio-processor');
  const jsm = await nc.jetstreamManager();
  await ensureQueue(jsm, o.queue);
  const dlq = startDeadLetterListener(nc, jsm, o.queue);
  const worker = await startAudioWorker({
    nc,
    queue: o.queue,
    adapter,
    store,
    concurrency: o.concurrency,
    mediaRoots: o.mediaRoots,
    jellyfin: o.jellyfin,
    namespace: o.namespace,
  });
  let stopping = false;
  const health = o.health
    ? await startHealthServer(o.health.host, o.health.port, () => ({
        ok: !stopping && !nc.isClosed(),
        role: 'worker',
        stream: o.queue.stream,
        consumer: o.queue.consumer,
        qwen_enabled: adapter.enabled,
        model: adapter.model,
        backend: adapter.backend,
        ...worker.stats,
      }))
    : null;
  log('info', 'worker ready', {
    stream: o.queue.stream,
    consumer: o.queue.consumer,
    concurrency: o.concurrency,
    qwen_enabled: adapter.enabled,
    model: adapter.model,
    healthz: health?.url ?? null,
  });
  onSignal(async () => {
    stopping = true;
    await worker.stop(o.shutdownGraceMs);
    dlq.unsubscribe();
    await nc.drain();
    await store.close();
    await health?.close();
  });
}

async function runPoller(o: AudioProcessorOptions): Promise<void> {
  const store = openStore(o.store!);
  await store.migrate();
  const nc = await connectNats(o.servers, 'jellyfin-audio-poller');
  await ensureQueue(await nc.jetstreamManager(), o.queue);
  const poller = createJellyfinPoller({ js: nc.jetstream(), queue: o.queue, jellyfin: o.jellyfin!, store });
  const running = poller.start(o.pollIntervalMs);
  const health = o.health
    ? await startHealthServer(o.health.host, o.health.port, () => ({ ok: !nc.isClosed(), role: 'poller' }))
    : null;
  log('info', 'poller ready', { interval_ms: o.pollIntervalMs, subject: o.queue.subject });
  onSignal(async () => {
    await running.stop();
    await nc.drain();
    await store.close();
    await health?.close();
  });
}

async function runEnqueue(o: AudioProcessorOptions, flags: Record<string, unknown>, files: string[]) {
  if (typeof flags['files-from'] === 'string') {
    const text = await readFile(flags['files-from'], 'utf8');
    files.push(
      ...text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
  }
  const since = typeof flags.since === 'string' ? new Date(flags.since) : undefined;
  const limit = typeof flags.limit === 'string' ? Number(flags.limit) : undefined;
  const problems: string[] = [];
  if (since && Number.isNaN(since.getTime())) problems.push('--since must be a date such as 2025-01-31');
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    problems.push('--limit must be a positive integer');
  if (!flags.jellyfin && files.length === 0) problems.push('give files, --files-from or --jellyfin');
  if (flags.jellyfin && files.length > 0) problems.push('give files or --jellyfin, not both');
  if (problems.length) throw new AudioProcessorError('config', problems.join('; '));
  const nc = await connectNats(o.servers, 'jellyfin-audio-backfill');
  try {
    await ensureQueue(await nc.jetstreamManager(), o.queue);
    const summary = await enqueueBackfill({
      js: nc.jetstream(),
      queue: o.queue,
      files,
      ...(flags.jellyfin ? { jellyfin: o.jellyfin! } : {}),
      ...(flags.force ? { force: true } : {}),
      ...(since ? { since } : {}),
      ...(limit ? { limit } : {}),
      ...(typeof flags.namespace === 'string' ? { namespace: flags.namespace } : {}),
    });
    console.log(JSON.stringify({ subject: o.queue.subject, ...summary }));
  } finally {
    await nc.drain();
  }
}

/** Runs a command line; resolves when a one-shot command is done or a service is up. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        jellyfin: { type: 'boolean' },
        force: { type: 'boolean' },
        'files-from': { type: 'string' },
        since: { type: 'string' },
        limit: { type: 'string' },
        namespace: { type: 'string' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help) {
    console.log(USAGE);
    return;
  }
  if (!command || !(command in NEEDS) || (command !== 'enqueue' && rest.length > 0)) {
    console.error(command ? `unknown command: ${[command, ...rest].join(' ')}\n\n${USAGE}` : USAGE);
    process.exitCode = 2;
    return;
  }
  if (command === 'smoke') {
    process.exitCode = await runQwenSmoke(env, { out: console.log, err: console.error });
    return;
  }
  const options = audioProcessorOptionsFromEnv(env, NEEDS[command]!(parsed.values));
  if (command === 'worker') await runWorker(options);
  else if (command === 'poll') await runPoller(options);
  else await runEnqueue(options, parsed.values, rest);
}
