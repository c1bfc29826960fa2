// `npm run smoke:qwen`: against running services, enqueue one probe item (forced, so it is analysed
// even when unchanged) and wait for its media_audio_analysis row to be written. Exits non-zero with
// the reason when no row was written: the processor is off, nobody consumes the queue, the item was
// dead-lettered, or its analysis failed.
import {
  describeZodIssues,
  jellyfinHeaders,
  jellyfinItemSchema,
  type Env,
  type JellyfinItem,
} from '@pmoves/internal';
import { z } from 'zod';
import type { AudioAnalysisStore, StoredAudioAnalysis } from '@pmoves/qwen-audio';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { audioProcessorOptionsFromEnv, type AudioProcessorOptions } from './config';
import { AudioProcessorError } from './errors';
import { ANALYSIS_TOPIC } from './event';
import { connectNats } from './nats';
import { enqueueItem, type DeadLetter } from './queue';
import { openStore } from './qwen';
import type { WorkItem } from './work-item';

/** `text` cut at a word boundary to at most `max` characters, with an ellipsis when cut. */
function excerpt(text: string, max: number): string {
  if (text.length <= max) return JSON.stringify(text);
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return JSON.stringify(`${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`);
}

/** Where the smoke writes; the console by default. */
export interface SmokeIo {
  /** Result lines. */
  out: (line: string) => void;
  /** Progress lines. */
  err: (line: string) => void;
}

const fail = (message: string) => new AudioProcessorError('smoke', message);

// One page of one item: the shared client lists the whole library, which a probe does not need.
async function firstAudioItem(jellyfin: { url: string; apiKey: string }): Promise<JellyfinItem | null> {
  const url = new URL('/Items', jellyfin.url);
  url.search = new URLSearchParams({
    Recursive: 'true',
    IncludeItemTypes: 'Audio',
    Fields: 'Path',
    SortBy: 'DateCreated,SortName',
    SortOrder: 'Ascending',
    Limit: '1',
  }).toString();
  let res: Response;
  try {
    res = await fetch(url, {
      headers: jellyfinHeaders(jellyfin.apiKey),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw fail(`Jellyfin at JELLYFIN_URL=${jellyfin.url} cannot be reached: ${(err as Error).message}`);
  }
  if (!res.ok) throw fail(`Jellyfin /Items answered HTTP ${res.status} (check JELLYFIN_API_KEY)`);
  const page = z.object({ Items: z.array(jellyfinItemSchema) }).safeParse(await res.json().catch(() => null));
  if (!page.success) throw fail(`Jellyfin /Items reply is invalid: ${describeZodIssues(page.error.issues)}`);
  return page.data.Items[0] ?? null;
}

async function probeItem(o: AudioProcessorOptions): Promise<WorkItem> {
  const base = { force: true, origin: 'smoke', enqueued_at: new Date().toISOString() };
  if (o.smoke.file) {
    const abs = resolve(o.smoke.file);
    return { item_id: abs, path: abs, ...base };
  }
  if (o.smoke.item) return { item_id: o.smoke.item, jellyfin_id: o.smoke.item, ...base };
  if (!o.jellyfin)
    throw new AudioProcessorError(
      'config',
      'smoke:qwen needs a probe: SMOKE_QWEN_ITEM (a Jellyfin item id), SMOKE_QWEN_FILE, or JELLYFIN_URL + JELLYFIN_API_KEY to take the first audio item',
    );
  const first = await firstAudioItem(o.jellyfin);
  if (!first) throw fail(`Jellyfin at ${o.jellyfin.url} lists no audio items to probe`);
  return {
    item_id: first.Id,
    jellyfin_id: first.Id,
    ...(first.Path ? { path: first.Path } : {}),
    ...(first.Name ? { name: first.Name } : {}),
    ...base,
  };
}

async function checkHealth(url: string): Promise<void> {
  let body: Record<string, unknown>;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`HTTP ${res.status} (${String(body.status)})`);
  } catch (err) {
    throw fail(
      `the processor's /healthz at AUDIO_PROCESSOR_HEALTH_URL=${url} is not healthy: ${(err as Error).message}`,
    );
  }
  if (body.qwen_enabled === false)
    throw fail(
      'the processor runs with JELLYFIN_AUDIO_QWEN_ENABLE off: it acks and skips items without analysing them; set it to true and restart it',
    );
}

const written = (row: StoredAudioAnalysis | null, before: StoredAudioAnalysis | null) =>
  row !== null && (before === null || row.updatedAt.getTime() > before.updatedAt.getTime());

/**
 * Runs the smoke check.
 *
 * @returns the process exit code: 0 when the probe's row was written with status `ok`, 1 otherwise.
 */
export async function runQwenSmoke(env: Env, io: SmokeIo): Promise<number> {
  let store: AudioAnalysisStore | null = null;
  let nc: Awaited<ReturnType<typeof connectNats>> | null = null;
  try {
    const o = audioProcessorOptionsFromEnv(env, { store: true });
    if (o.smoke.healthUrl) await checkHealth(o.smoke.healthUrl);
    const item = await probeItem(o);
    store = openStore(o.store!);
    nc = await connectNats(o.servers, 'smoke-qwen');
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.consumers.info(o.queue.stream, o.queue.consumer);
    } catch {
      throw fail(
        `no consumer ${o.queue.consumer} on stream ${o.queue.stream} (AUDIO_QUEUE_STREAM/AUDIO_QUEUE_CONSUMER): no audio-processor worker has started against NATS_URL=${o.servers.join(',')}`,
      );
    }
    const letters: DeadLetter[] = [];
    const dlq = nc.subscribe(o.queue.dlqSubject);
    void (async () => {
      for await (const m of dlq) letters.push(m.json<DeadLetter>());
    })();
    let event = false;
    const events = nc.subscribe(ANALYSIS_TOPIC);
    void (async () => {
      for await (const m of events) {
        const p = (m.json<{ payload?: { item_id?: string } }>().payload ?? {}) as { item_id?: string };
        if (p.item_id === item.item_id) event = true;
      }
    })();
    await nc.flush();

    const before = await store.get(item.item_id);
    const ack = await enqueueItem(nc.jetstream(), o.queue, item, `smoke:${randomUUID()}`);
    io.err(`smoke:qwen: enqueued probe ${item.item_id} on ${o.queue.subject} (stream seq ${ack.seq})`);
    const deadline = Date.now() + o.smoke.timeoutMs;
    for (;;) {
      const row = await store.get(item.item_id);
      if (written(row, before)) {
        if (row!.status !== 'ok')
          throw fail(`the probe's analysis failed: ${row!.error ?? 'no error recorded'}`);
        await new Promise((r) => setTimeout(r, 500)); // the event follows the row
        io.out(`smoke:qwen OK: media_audio_analysis row written for ${item.item_id}`);
        io.out(
          `  model ${row!.model} (${row!.backend}), prompt ${row!.promptVersion}, sha256 ${row!.audioSha256}`,
        );
        io.out(`  summary: ${row!.summary}`);
        io.out(
          `  tags: ${row!.tags.join(', ') || '(none)'}; mood: ${row!.mood}; confidence: ${row!.confidence ?? 'n/a'}`,
        );
        const t = row!.transcript;
        io.out(
          `  transcript: ${
            t === null
              ? 'none (QWEN_AUDIO_TRANSCRIPT=off)'
              : t.segments.length === 0
                ? 'no speech heard'
                : `${t.segments.length} segment(s), ${t.segments[0]!.start.toFixed(1)}–${t.segments.at(-1)!.end.toFixed(1)} s: ${excerpt(t.text, 120)}`
          }`,
        );
        io.out(`  ${ANALYSIS_TOPIC} event: ${event ? 'received' : 'not seen'}`);
        return 0;
      }
      const letter = letters.find((l) => l.stream_seq === ack.seq);
      if (letter)
        throw fail(
          `the probe was dead-lettered on ${o.queue.dlqSubject} (${letter.reason} after ${letter.deliveries} deliveries): ${letter.error ?? 'its last delivery timed out'}`,
        );
      if (Date.now() > deadline) {
        const ci = await jsm.consumers.info(o.queue.stream, o.queue.consumer).catch(() => null);
        const queue = ci
          ? `; queue: ${ci.num_pending} waiting, ${ci.num_ack_pending} in progress, ${ci.num_waiting} worker pull requests${ci.num_waiting === 0 && ci.num_ack_pending === 0 ? ' (no worker is consuming)' : ''}`
          : '';
        throw fail(
          `no media_audio_analysis row was written for ${item.item_id} within ${o.smoke.timeoutMs / 1000} s (SMOKE_QWEN_TIMEOUT)${queue}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    io.err(`smoke:qwen FAILED: ${(err as Error).message}`);
    return 1;
  } finally {
    await nc?.drain().catch(() => undefined);
    await store?.close().catch(() => undefined);
  }
}
