// `pmoves-qwen-audio`: flags (commander), the environment (one reader), and the exit code. The run
// itself is runBackfill in backfill.ts.
import { Command, InvalidArgumentError, Option } from 'commander';
import { EnvValueError, parseHttpUrl } from '@pmoves/internal';
import pkg from '../../package.json' with { type: 'json' };
import type { QwenAudioAdapterOptions } from '../adapter/options';
import { backfillEnv } from '../config/env';
import { isQwenAudioError } from '../errors';
import { MEDIA_EXTENSIONS } from './items';
import { runBackfill } from './backfill';
import type { BackfillIo, BackfillSettings } from './backfill';

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number more than 0`);
  return n;
};
const nonNegative = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
  return n;
};
const httpUrl = (name: string) => (v: string) => {
  try {
    parseHttpUrl(v);
  } catch (e) {
    if (e instanceof EnvValueError) throw new InvalidArgumentError(`${name} ${e.message}`);
    throw e;
  }
  return v;
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
  pgliteDir?: string;
  databaseUrl?: string;
  namespace: string;
  backend?: 'auto' | 'ollama' | 'openai';
  transcript?: 'windows' | 'full' | 'off';
  url?: string;
  model?: string;
  maxWindows?: number;
  timeout?: number;
  progress: boolean;
}

/** Flags over the environment: one reader for all variables, so one error names every bad one. */
function settingsFrom(files: string[], f: BackfillFlags, io: BackfillIo): BackfillSettings {
  const env = backfillEnv(
    io.env,
    {
      store: {
        ...(f.store ? { kind: f.store } : {}),
        ...(f.pgliteDir ? { pgliteDir: f.pgliteDir } : {}),
        defaultPgliteDir: '.pmoves-qwen-audio-db',
        ...(f.databaseUrl ? { databaseUrl: f.databaseUrl } : {}),
      },
      needJellyfin: files.length === 0 && !f.filesFrom,
      ...(f.jellyfinUrl ? { jellyfinUrl: f.jellyfinUrl } : {}),
    },
    { onWarning: (m) => io.err(`warning: ${m}`) },
  );
  const adapter: QwenAudioAdapterOptions = {
    ...env.adapter,
    ...(f.backend ? { backend: f.backend } : {}),
    ...(f.transcript ? { transcript: f.transcript } : {}),
    ...(f.url ? { url: f.url } : {}),
    ...(f.model ? { model: f.model } : {}),
    ...(f.maxWindows ? { maxWindows: f.maxWindows } : {}),
    ...(f.timeout ? { timeoutMs: Math.round(f.timeout * 1000) } : {}),
  };
  return {
    files,
    ...(f.filesFrom ? { filesFrom: f.filesFrom } : {}),
    ...(env.jellyfin ? { jellyfin: { ...env.jellyfin, pageSize: f.pageSize } } : {}),
    ...(f.limit !== undefined ? { limit: f.limit } : {}),
    ...(f.since ? { since: f.since } : {}),
    ...(f.startAfter !== undefined ? { startAfter: f.startAfter } : {}),
    concurrency: f.concurrency,
    sleepSeconds: f.sleep,
    dryRun: Boolean(f.dryRun),
    force: Boolean(f.force),
    enabled: Boolean(f.enable) || Boolean(env.adapter.enabled),
    statePath: f.state,
    namespace: f.namespace,
    progress: f.progress,
    adapter,
    store: env.store,
  };
}

function buildProgram(io: BackfillIo, onDone: (code: number) => void): Command {
  const program = new Command('pmoves-qwen-audio')
    .description(
      'Qwen2-Audio summaries, tags, mood and speech transcripts for media items, stored in media_audio_analysis',
    )
    .version(pkg.version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program
    .command('backfill')
    .description(
      'analyse Jellyfin audio items (or the given files and directories) and store the results; resumable',
    )
    .argument(
      '[paths...]',
      `audio/video files, or directories walked for ${MEDIA_EXTENSIONS.join(', ')} files, instead of Jellyfin items`,
    )
    .option('--files-from <path>', 'file with one media path per line')
    .option(
      '--jellyfin-url <url>',
      'Jellyfin base URL (default JELLYFIN_URL; key from JELLYFIN_API_KEY)',
      httpUrl('--jellyfin-url'),
    )
    .option('--page-size <n>', 'Jellyfin /Items page size', positiveInt('--page-size'), 100)
    .option('--limit <n>', 'analyse at most n items this run', positiveInt('--limit'))
    .option('--since <date>', 'only items created on or after this date', isoDate)
    .option('--start-after <id>', 'skip items up to and including this item id')
    .option('--concurrency <n>', 'items analysed at once', positiveInt('--concurrency'), 1)
    .option('--sleep <seconds>', 'pause after each item', nonNegative('--sleep'), 0)
    .option('--dry-run', 'list what would be analysed; open, decode, call and write nothing')
    .option('--force', 're-analyse even unchanged or already-done items')
    .option('--enable', 'run even when JELLYFIN_AUDIO_QWEN_ENABLE is off')
    .option(
      '--state <path>',
      'resume state file (progress is kept per store)',
      '.pmoves-qwen-audio-state.json',
    )
    .addOption(
      new Option(
        '--store <kind>',
        'where results go (default QWEN_AUDIO_STORE, else supabase when SUPABASE_URL is set, else pglite)',
      ).choices(['pglite', 'postgres', 'supabase']),
    )
    .option(
      '--pglite-dir <dir>',
      'PGlite data directory (default QWEN_AUDIO_PGLITE_DIR, else .pmoves-qwen-audio-db)',
    )
    .option('--database-url <url>', 'PostgreSQL URL for --store postgres (default DATABASE_URL)')
    .option('--namespace <ns>', 'namespace stored with each row', 'pmoves')
    .addOption(
      new Option('--backend <name>', 'model backend (default QWEN_AUDIO_BACKEND)').choices([
        'ollama',
        'openai',
      ]),
    )
    .option('--url <url>', 'model server URL (default QWEN_AUDIO_URL)', httpUrl('--url'))
    .option('--model <name>', 'model (default QWEN_MODEL_NAME)')
    .option('--max-windows <n>', 'most 30 s windows per item', positiveInt('--max-windows'))
    .option('--timeout <seconds>', 'per model call (default QWEN_AUDIO_TIMEOUT)', positiveNumber('--timeout'))
    .option('--no-progress', 'plain log lines even on a terminal')
    .action(async (paths: string[], flags: BackfillFlags) => {
      const summary = await runBackfill(settingsFrom(paths, flags, io), io);
      if (!flags.dryRun) {
        io.out(
          `processed ${summary.processed}, skipped ${summary.skipped}, failed ${summary.failed}` +
            (summary.interrupted ? ' (interrupted; progress saved, rerun to resume)' : ''),
        );
      }
      onDone(summary.interrupted ? 130 : summary.failed > 0 ? 1 : 0);
    });
  return program;
}

/**
 * Runs `pmoves-qwen-audio` with the given arguments (without `node` and the script path) and
 * returns the exit code: 0 all good, 1 some items failed, 2 bad usage, configuration, or a store or
 * model server that cannot be used (found before the first item), 130 interrupted.
 */
export async function runCli(argv: string[], io: BackfillIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    io.err(`error: ${e.message ?? String(err)}`);
    if (isQwenAudioError(err)) return err.code === 'aborted' ? 130 : 2;
    return 1;
  }
}
