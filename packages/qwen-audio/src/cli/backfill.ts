// The backfill run, as steps: open and migrate the store, list the items, resume from the state
// kept for that store, check the model once, then analyse with bounded concurrency, saving
// progress after every item. Flag parsing lives in program.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JellyfinOptions } from '@pmoves/internal';
import pLimit from 'p-limit';
import { createQwenAudioAdapter } from '../adapter/create';
import type { QwenAudioAdapter } from '../adapter/create';
import type { QwenAudioAdapterOptions } from '../adapter/options';
import { QwenAudioError } from '../errors';
import { downloadJellyfinItem } from '../jellyfin/client';
import { recordItemFailure } from '../pipeline/failure';
import { processItem } from '../pipeline/process';
import type { ProcessOutcome } from '../pipeline/process';
import { createAudioAnalysisStore, storeIdentity } from '../store/options';
import type { AudioStoreOptions } from '../store/options';
import type { AudioAnalysisStore } from '../store/types';
import { collectItems } from './items';
import type { WorkItem } from './items';
import { createReporter } from './progress';
import type { Counts } from './progress';
import { loadState, saveState } from './state';
import type { BackfillState, StoreProgress } from './state';

/** Where the CLI writes and what it reads; the real process by default, replaceable in tests. */
export interface BackfillIo {
  /** Result lines (summary). */
  out: (line: string) => void;
  /** Progress and log lines. */
  err: (line: string) => void;
  /** Whether stderr is a terminal (progress bar instead of log lines). */
  isTTY: boolean;
  /** Where the progress bar is drawn; default `process.stderr`. */
  progressStream?: NodeJS.WritableStream;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Fires when the user asks to stop (Ctrl-C): no new items start, in-flight ones finish. */
  stop?: AbortSignal;
  /** Fires to abort in-flight items too (second Ctrl-C). */
  abort?: AbortSignal;
  /** A store to use instead of the one the options name (embedding the CLI); not closed by the CLI. */
  store?: AudioAnalysisStore;
}

/** Counts printed in the final summary. */
export interface BackfillSummary {
  /** Items analysed and stored. */
  processed: number;
  /** Items skipped (unchanged, already done, or disabled). */
  skipped: number;
  /** Items that failed (recorded in the store with status `failed`), and paths that do not exist. */
  failed: number;
  /** Whether the run stopped early on request. */
  interrupted: boolean;
}

/** Everything a run needs, resolved from flags and environment. */
export interface BackfillSettings {
  /** Paths (files or directories) to analyse instead of Jellyfin items. */
  files: string[];
  /** A file listing more paths. */
  filesFrom?: string;
  /** Jellyfin connection (used when no paths are given). */
  jellyfin?: JellyfinOptions;
  /** Most items this run. */
  limit?: number;
  /** Only items created on or after this date. */
  since?: Date;
  /** Skip items up to and including this id. */
  startAfter?: string;
  /** Items analysed at once. */
  concurrency: number;
  /** Pause after each item, seconds. */
  sleepSeconds: number;
  /** List what would be analysed; open, call and write nothing. */
  dryRun: boolean;
  /** Re-analyse even unchanged or already-done items. */
  force: boolean;
  /** The toggle (`JELLYFIN_AUDIO_QWEN_ENABLE` or `--enable`). */
  enabled: boolean;
  /** Resume state file. */
  statePath: string;
  /** Namespace stored with each row. */
  namespace: string;
  /** Draw a progress bar when on a terminal. */
  progress: boolean;
  /** Adapter options (environment, then flags). */
  adapter: QwenAudioAdapterOptions;
  /** Store options (environment, then flags). */
  store: AudioStoreOptions;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies --start-after, --since, the resume state and --limit; returns the items and how many were done. */
function selectItems(all: WorkItem[], s: BackfillSettings, done: ReadonlySet<string>) {
  let items = all;
  if (s.startAfter !== undefined) {
    const at = items.findIndex((i) => i.id === s.startAfter);
    if (at < 0) throw new QwenAudioError('invalid-input', `--start-after: no item with id ${s.startAfter}`);
    items = items.slice(at + 1);
  }
  if (s.since) items = items.filter((i) => !i.createdAt || i.createdAt >= s.since!);
  const alreadyDone = s.force ? 0 : items.filter((i) => done.has(i.id)).length;
  if (!s.force) items = items.filter((i) => !done.has(i.id));
  if (s.limit !== undefined) items = items.slice(0, s.limit);
  return { items, alreadyDone };
}

function detailOf(o: ProcessOutcome): string {
  if (o.outcome === 'processed') return `${o.result.tags.slice(0, 4).join(', ')} (${o.result.mood})`;
  if (o.outcome === 'skipped') return o.reason;
  return `${o.code}: ${o.error}`;
}

/** Opens the store and runs its migration; a store that cannot be reached stops the run here. */
async function openStore(s: BackfillSettings, io: BackfillIo): Promise<AudioAnalysisStore> {
  const store = io.store ?? createAudioAnalysisStore(s.store);
  try {
    await store.migrate();
  } catch (err) {
    if (!io.store) await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/**
 * Runs one backfill. Throws (before the first item) for configuration, store and model-server
 * problems; after that, each item's failure is recorded and counted, never thrown.
 */
export async function runBackfill(s: BackfillSettings, io: BackfillIo): Promise<BackfillSummary> {
  const summary: BackfillSummary = { processed: 0, skipped: 0, failed: 0, interrupted: false };
  if (!s.dryRun && !s.enabled) {
    throw new QwenAudioError('config', 'JELLYFIN_AUDIO_QWEN_ENABLE is off; set it to true or pass --enable');
  }
  const identity = io.store ? io.store.identity : storeIdentity(s.store);
  const adapter = createQwenAudioAdapter({ ...s.adapter, enabled: true });
  io.err(`store: ${identity ?? 'a store without an identity (resume state not used)'}`);
  io.err(`backend: ${adapter.backend} at ${adapter.url}, model ${adapter.model}`);

  // Connect before anything is listed or analysed: nothing is worth doing without a place for it.
  const store = s.dryRun ? null : await openStore(s, io);
  const tmp = await mkdtemp(join(tmpdir(), 'pmoves-qwen-backfill-'));
  try {
    const { items: all, missing } = await collectItems(s, io.err, io.abort);
    for (const m of missing) io.err(`missing: ${m} (no such file or directory)`);
    const { state, legacyDone } = await loadState(s.statePath);
    if (legacyDone > 0) {
      io.err(
        `warning: ${s.statePath} predates per-store progress; its ${legacyDone} done item(s) are not trusted ` +
          '(items unchanged in the store are still skipped)',
      );
    }
    const progress: StoreProgress = (identity && state.stores[identity]) || { done: [], failed: [] };
    const done = new Set(progress.done);
    const failed = new Set(progress.failed);
    const { items, alreadyDone } = selectItems(all, s, done);
    if (alreadyDone) io.err(`resuming: ${alreadyDone} item(s) already done in ${identity} (${s.statePath})`);

    if (s.dryRun) {
      for (const i of items) io.out(`would analyse ${i.id}${i.name !== i.id ? ` (${i.name})` : ''}`);
      io.out(`dry run: ${items.length} item(s) would be analysed; nothing was decoded, called or written`);
      return summary;
    }
    summary.failed += missing.length;
    if (items.length === 0) return summary;
    // Refuse early, once, rather than fail every item the same way.
    await adapter.checkCapability(io.abort);
    if (adapter.server) io.err(`server: ${adapter.server} (${adapter.backend} protocol)`);
    await analyseAll(items, { s, io, adapter, store: store!, tmp, summary, identity, state, done, failed });
    return summary;
  } finally {
    if (store && !io.store) await store.close().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

interface RunContext {
  s: BackfillSettings;
  io: BackfillIo;
  adapter: QwenAudioAdapter;
  store: AudioAnalysisStore;
  tmp: string;
  summary: BackfillSummary;
  identity: string | undefined;
  state: BackfillState;
  done: Set<string>;
  failed: Set<string>;
}

/** Downloads (Jellyfin items) and analyses one item; failures are recorded, never thrown (except abort). */
async function analyseOne(item: WorkItem, c: RunContext): Promise<ProcessOutcome> {
  let path = item.localPath;
  let cleanup: string | null = null;
  try {
    if (!path) {
      cleanup = join(c.tmp, encodeURIComponent(item.id));
      await downloadJellyfinItem(c.s.jellyfin!, item.id, cleanup, c.io.abort);
      path = cleanup;
    }
    return await processItem({
      adapter: c.adapter,
      store: c.store,
      itemId: item.id,
      path,
      namespace: c.s.namespace,
      ...(c.s.force ? { force: true } : {}),
      ...(c.io.abort ? { signal: c.io.abort } : {}),
    });
  } catch (err) {
    if ((err as QwenAudioError).code === 'aborted') throw err;
    return recordItemFailure(c.store, c.adapter, { itemId: item.id, namespace: c.s.namespace }, err);
  } finally {
    if (cleanup) await rm(cleanup, { force: true });
  }
}

async function analyseAll(items: WorkItem[], c: RunContext): Promise<void> {
  const { s, io, summary } = c;
  const reporter = createReporter({
    total: items.length,
    bar: io.isTTY && s.progress,
    stream: io.progressStream ?? process.stderr,
    log: io.err,
  });
  const counts: Counts = { ok: 0, skip: 0, fail: 0 };
  let finished = 0;
  let saving = Promise.resolve();
  const persist = () => {
    if (!c.identity) return saving; // a store without an identity: nothing to resume against
    c.state.stores[c.identity] = { done: [...c.done], failed: [...c.failed] };
    saving = saving.then(() => saveState(s.statePath, c.state));
    return saving;
  };
  const limit = pLimit(s.concurrency);
  try {
    await Promise.all(
      items.map((item) =>
        limit(async () => {
          if (io.stop?.aborted || io.abort?.aborted) {
            summary.interrupted = true;
            return;
          }
          const t0 = Date.now();
          let outcome: ProcessOutcome;
          try {
            outcome = await analyseOne(item, c);
          } catch {
            summary.interrupted = true; // aborted: neither stored nor recorded
            return;
          }
          if (outcome.outcome === 'failed') {
            summary.failed++;
            counts.fail++;
            c.failed.add(item.id);
          } else {
            if (outcome.outcome === 'processed') {
              summary.processed++;
              counts.ok++;
            } else {
              summary.skipped++;
              counts.skip++;
            }
            c.done.add(item.id);
            c.failed.delete(item.id);
          }
          await persist();
          reporter.item({
            n: ++finished,
            id: item.id,
            outcome: outcome.outcome,
            detail: detailOf(outcome),
            seconds: (Date.now() - t0) / 1000,
            counts,
          });
          if (s.sleepSeconds > 0 && !io.stop?.aborted) await sleep(s.sleepSeconds * 1000);
        }),
      ),
    );
    await persist();
  } finally {
    reporter.stop();
  }
}
