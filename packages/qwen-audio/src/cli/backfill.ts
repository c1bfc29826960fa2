import { readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import pLimit from 'p-limit';
import { createQwenAudioAdapter } from '../adapter/create.js';
import { readQwenAudioEnv } from '../config/env.js';
import { QwenAudioError } from '../errors.js';
import { downloadJellyfinItem, listJellyfinAudioItems } from '../jellyfin/client.js';
import type { JellyfinOptions } from '../jellyfin/client.js';
import { processItem } from '../pipeline/process.js';
import { createPgliteStore } from '../store/pglite.js';
import { createPostgresStore } from '../store/postgres.js';
import { createSupabaseStore } from '../store/supabase.js';
import type { AudioAnalysisStore } from '../store/types.js';
import { loadState, saveState } from './state.js';

/** Where the CLI writes and what it reads; the real process by default, replaceable in tests. */
export interface BackfillIo {
  /** Result lines (summary). */
  out: (line: string) => void;
  /** Progress and log lines. */
  err: (line: string) => void;
  /** Whether stderr is a terminal (progress bar instead of log lines). */
  isTTY: boolean;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Fires when the user asks to stop (Ctrl-C): no new items start, in-flight ones finish. */
  stop?: AbortSignal;
  /** Fires to abort in-flight items too (second Ctrl-C). */
  abort?: AbortSignal;
  /** A store to use instead of the one `--store` would open (embedding the CLI in a service); not closed by the CLI. */
  store?: AudioAnalysisStore;
}

/** Counts printed in the final summary. */
export interface BackfillSummary {
  /** Items analysed and stored. */
  processed: number;
  /** Items skipped (unchanged, already done, or disabled). */
  skipped: number;
  /** Items that failed (recorded in the store with status `failed`). */
  failed: number;
  /** Whether the run stopped early on request. */
  interrupted: boolean;
}

interface WorkItem {
  id: string;
  name: string;
  localPath?: string;
  createdAt?: Date;
}

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const nonNegative = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
  return n;
};
const isoDate = (v: string) => {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('--since must be a date (e.g. 2025-01-31)');
  return d;
};

interface BackfillFlags {
  filesFrom?: string;
  jellyfinUrl?: string;
  pageSize: number;
  limit?: number;
  since?: Date;
  startAfter?: string;
  concurrency: number;
  sleep: number;
  dryRun?: boolean;
  force?: boolean;
  enable?: boolean;
  state: string;
  store?: 'pglite' | 'postgres' | 'supabase';
  pgliteDir: string;
  databaseUrl?: string;
  namespace: string;
  backend?: 'ollama' | 'openai';
  url?: string;
  model?: string;
  maxWindows?: number;
  timeout?: number;
  progress: boolean;
}

function openStore(flags: BackfillFlags, env: Record<string, string | undefined>): AudioAnalysisStore {
  const supabaseKey = env.SUPABASE_SERVICE_ROLE_KEY ?? env.SUPABASE_KEY ?? env.SUPABASE_ANON_KEY;
  const kind = flags.store ?? (env.SUPABASE_URL && supabaseKey ? 'supabase' : 'pglite');
  if (kind === 'supabase') {
    if (!env.SUPABASE_URL || !supabaseKey) {
      throw new QwenAudioError('config', '--store supabase needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY');
    }
    return createSupabaseStore({ url: env.SUPABASE_URL, key: supabaseKey });
  }
  if (kind === 'postgres') {
    const cs = flags.databaseUrl ?? env.DATABASE_URL;
    if (!cs) throw new QwenAudioError('config', '--store postgres needs --database-url or DATABASE_URL');
    return createPostgresStore({ connectionString: cs });
  }
  return createPgliteStore({ dataDir: resolve(flags.pgliteDir) });
}

async function collectItems(
  files: string[],
  flags: BackfillFlags,
  env: Record<string, string | undefined>,
  log: (l: string) => void,
): Promise<{ items: WorkItem[]; jellyfin?: JellyfinOptions }> {
  const paths = [...files];
  if (flags.filesFrom) {
    const text = await readFile(flags.filesFrom, 'utf8');
    paths.push(
      ...text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
  }
  if (paths.length > 0) {
    const items: WorkItem[] = [];
    for (const p of paths) {
      const abs = resolve(p);
      const st = await stat(abs).catch(() => null);
      items.push({ id: abs, name: p, localPath: abs, ...(st ? { createdAt: st.mtime } : {}) });
    }
    return { items };
  }
  const url = flags.jellyfinUrl ?? env.JELLYFIN_URL;
  const apiKey = env.JELLYFIN_API_KEY;
  if (!url || !apiKey) {
    throw new QwenAudioError(
      'config',
      'give files, --files-from, or JELLYFIN_URL (or --jellyfin-url) with JELLYFIN_API_KEY',
    );
  }
  const jellyfin: JellyfinOptions = { url, apiKey, pageSize: flags.pageSize };
  const list = await listJellyfinAudioItems(jellyfin, (p) =>
    log(`warning: skipping invalid Jellyfin item (${p})`),
  );
  return {
    jellyfin,
    items: list.map((i) => ({
      id: i.Id,
      name: i.Name ?? i.Id,
      ...(i.DateCreated ? { createdAt: new Date(i.DateCreated) } : {}),
    })),
  };
}

async function run(files: string[], flags: BackfillFlags, io: BackfillIo): Promise<BackfillSummary> {
  const summary: BackfillSummary = { processed: 0, skipped: 0, failed: 0, interrupted: false };
  const env = readQwenAudioEnv(io.env);
  const { items: all, jellyfin } = await collectItems(files, flags, io.env, io.err);
  const state = await loadState(flags.state);
  const done = new Set(state.done);
  const failed = new Set(state.failed);
  let items = all;
  if (flags.startAfter !== undefined) {
    const at = items.findIndex((i) => i.id === flags.startAfter);
    if (at < 0)
      throw new QwenAudioError('invalid-input', `--start-after: no item with id ${flags.startAfter}`);
    items = items.slice(at + 1);
  }
  if (flags.since) items = items.filter((i) => !i.createdAt || i.createdAt >= flags.since!);
  const alreadyDone = items.filter((i) => done.has(i.id) && !flags.force).length;
  if (!flags.force) items = items.filter((i) => !done.has(i.id));
  if (flags.limit !== undefined) items = items.slice(0, flags.limit);
  if (alreadyDone) io.err(`resuming: ${alreadyDone} item(s) already done in ${flags.state}`);

  if (flags.dryRun) {
    for (const i of items) io.out(`would analyse ${i.id}${i.name !== i.id ? ` (${i.name})` : ''}`);
    io.out(`dry run: ${items.length} item(s) would be analysed; nothing was decoded, called or written`);
    return summary;
  }
  if (items.length === 0) return summary; // nothing to do: no model check, no store
  const enabled = flags.enable || env.enabled;
  if (!enabled) {
    throw new QwenAudioError('config', 'JELLYFIN_AUDIO_QWEN_ENABLE is off; set it to true or pass --enable');
  }
  const adapter = createQwenAudioAdapter({
    env: io.env,
    enabled: true,
    ...(flags.backend ? { backend: flags.backend } : {}),
    ...(flags.url ? { url: flags.url } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.maxWindows ? { maxWindows: flags.maxWindows } : {}),
    ...(flags.timeout ? { timeoutMs: flags.timeout } : {}),
  });
  // Refuse early, once, rather than fail every item the same way.
  await adapter.checkCapability(io.abort);
  const store = io.store ?? openStore(flags, io.env);
  const tmp = await mkdtemp(join(tmpdir(), 'pmoves-qwen-backfill-'));
  const bar =
    io.isTTY && flags.progress
      ? new cliProgress.SingleBar(
          {
            format:
              'backfill [{bar}] {value}/{total} | ETA {eta_formatted} | ok {ok} skip {skip} fail {fail}',
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const started = Date.now();
  let finished = 0;
  try {
    await store.migrate();
    bar?.start(items.length, 0, { ok: 0, skip: 0, fail: 0 });
    const limit = pLimit(flags.concurrency);
    let saving = Promise.resolve();
    const persist = () => {
      saving = saving.then(() => saveState(flags.state, { ...state, done: [...done], failed: [...failed] }));
      return saving;
    };
    await Promise.all(
      items.map((item) =>
        limit(async () => {
          if (io.stop?.aborted || io.abort?.aborted) {
            summary.interrupted = true;
            return;
          }
          const t0 = Date.now();
          let path = item.localPath;
          let cleanup: string | null = null;
          let outcome;
          try {
            if (!path && jellyfin) {
              cleanup = join(tmp, encodeURIComponent(item.id));
              await downloadJellyfinItem(jellyfin, item.id, cleanup, io.abort);
              path = cleanup;
            }
            outcome = await processItem({
              adapter,
              store,
              itemId: item.id,
              path: path!,
              namespace: flags.namespace,
              ...(flags.force ? { force: true } : {}),
              ...(io.abort ? { signal: io.abort } : {}),
            });
          } catch (err) {
            const e = err as QwenAudioError;
            if (e.code === 'aborted') {
              summary.interrupted = true;
              return;
            }
            outcome = { outcome: 'failed' as const, code: e.code ?? 'source', error: e.message };
            await store
              .recordFailure({
                itemId: item.id,
                namespace: flags.namespace,
                model: adapter.model,
                backend: adapter.backend,
                promptVersion: adapter.promptVersion,
                error: `${outcome.code}: ${outcome.error}`,
              })
              .catch(() => undefined);
          } finally {
            if (cleanup) await rm(cleanup, { force: true });
          }
          const n = ++finished;
          const secs = ((Date.now() - t0) / 1000).toFixed(1);
          if (outcome.outcome === 'processed') {
            summary.processed++;
            done.add(item.id);
            failed.delete(item.id);
          } else if (outcome.outcome === 'skipped') {
            summary.skipped++;
            done.add(item.id);
            failed.delete(item.id);
          } else {
            summary.failed++;
            failed.add(item.id);
          }
          await persist();
          if (bar) bar.update(n, { ok: summary.processed, skip: summary.skipped, fail: summary.failed });
          else {
            const detail =
              outcome.outcome === 'processed'
                ? `${outcome.result.tags.slice(0, 4).join(', ')} (${outcome.result.mood})`
                : outcome.outcome === 'skipped'
                  ? outcome.reason
                  : outcome.error;
            const elapsed = (Date.now() - started) / 1000;
            const eta = Math.round((elapsed / n) * (items.length - n));
            io.err(
              `[${n}/${items.length}] ${outcome.outcome} ${item.id} in ${secs} s: ${detail} (ETA ${eta} s)`,
            );
          }
          if (flags.sleep > 0 && !io.stop?.aborted)
            await new Promise((r) => setTimeout(r, flags.sleep * 1000));
        }),
      ),
    );
    await persist();
  } finally {
    bar?.stop();
    if (!io.store) await store.close().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
  return summary;
}

/**
 * Runs `pmoves-qwen-audio` with the given arguments (without `node` and the script path) and
 * returns the exit code: 0 all good, 1 some items failed, 2 bad usage/config, 130 interrupted.
 */
export async function runCli(argv: string[], io: BackfillIo): Promise<number> {
  const program = new Command('pmoves-qwen-audio')
    .description('Qwen2-Audio summaries, tags and mood for media items')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  let code = 0;
  program
    .command('backfill')
    .description('analyse Jellyfin audio items (or the given files) and store the results; resumable')
    .argument('[files...]', 'audio/video files to analyse instead of Jellyfin items')
    .option('--files-from <path>', 'file with one media path per line')
    .option('--jellyfin-url <url>', 'Jellyfin base URL (default JELLYFIN_URL; key from JELLYFIN_API_KEY)')
    .option('--page-size <n>', 'Jellyfin /Items page size', positiveInt('--page-size'), 100)
    .option('--limit <n>', 'analyse at most n items this run', positiveInt('--limit'))
    .option('--since <date>', 'only items created on or after this date', isoDate)
    .option('--start-after <id>', 'skip items up to and including this item id')
    .option('--concurrency <n>', 'items analysed at once', positiveInt('--concurrency'), 1)
    .option('--sleep <seconds>', 'pause after each item', nonNegative('--sleep'), 0)
    .option('--dry-run', 'list what would be analysed; decode, call and write nothing')
    .option('--force', 're-analyse even unchanged or already-done items')
    .option('--enable', 'run even when JELLYFIN_AUDIO_QWEN_ENABLE is off')
    .option('--state <path>', 'resume state file', '.pmoves-qwen-audio-state.json')
    .addOption(
      new Option(
        '--store <kind>',
        'where results go (default: supabase when SUPABASE_URL is set, else pglite)',
      ).choices(['pglite', 'postgres', 'supabase']),
    )
    .option('--pglite-dir <dir>', 'PGlite data directory', '.pmoves-qwen-audio-db')
    .option('--database-url <url>', 'PostgreSQL URL for --store postgres (default DATABASE_URL)')
    .option('--namespace <ns>', 'namespace stored with each row', 'pmoves')
    .addOption(
      new Option('--backend <name>', 'model backend (default QWEN_AUDIO_BACKEND)').choices([
        'ollama',
        'openai',
      ]),
    )
    .option('--url <url>', 'backend URL (default QWEN_AUDIO_URL)')
    .option('--model <name>', 'model (default QWEN_MODEL_NAME)')
    .option('--max-windows <n>', 'most 30 s windows per item', positiveInt('--max-windows'))
    .option('--timeout <ms>', 'per model call, milliseconds', positiveInt('--timeout'))
    .option('--no-progress', 'plain log lines even on a terminal')
    .action(async (files: string[], flags: BackfillFlags) => {
      const summary = await run(files, flags, io);
      if (!flags.dryRun) {
        io.out(
          `processed ${summary.processed}, skipped ${summary.skipped}, failed ${summary.failed}` +
            (summary.interrupted ? ' (interrupted; progress saved, rerun to resume)' : ''),
        );
      }
      code = summary.interrupted ? 130 : summary.failed > 0 ? 1 : 0;
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    io.err(`error: ${e.message ?? String(err)}`);
    return err instanceof QwenAudioError &&
      ['config', 'invalid-input', 'model-not-found', 'no-audio-capability'].includes(err.code)
      ? 2
      : 1;
  }
}
