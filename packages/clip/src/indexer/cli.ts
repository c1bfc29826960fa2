// `pmoves-clip index`: a registrar that adds the Jellyfin indexer to a commander program (the
// unified `pmoves-clip` CLI lists it with its other subcommands). Configuration comes from the
// environment the CLI hands over: JELLYFIN_URL / JELLYFIN_API_KEY, CLIP_INDEX_* for the store,
// CLIP_ENDPOINT for a remote embedder (else the local model from CLIP_*), FFMPEG_PATH.
import { EnvReader } from '@pmoves/internal';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, Option } from 'commander';
import { configError } from '../config/read';
import { ClipError } from '../errors';
import { openEmbedder } from '../cli/open-embedder';
import type { CliIo, CliRegistrar } from '../cli/types';
import { JELLYFIN_FIELDS } from './env';
import type { IndexProgress, IndexReport } from './jellyfin-indexer';

function positiveInt(max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`must be an integer from 1 to ${max}`);
    return n;
  };
}

function positiveNumber(raw: string): number {
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

/** A cli-progress bar on a terminal; otherwise a plain line at most every 2 s, and the last one. */
function progressReporter(io: CliIo): { update(p: IndexProgress): void; stop(p?: IndexProgress): void } {
  const line = (p: IndexProgress) =>
    `index: ${p.done}/${p.total} items, ${p.embedded} embedded, ${p.unchanged} unchanged, ${p.failed} failed`;
  if (io.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'index [{bar}] {value}/{total} | ETA {eta_formatted} | new {embedded} same {unchanged} failed {failed}',
        etaBuffer: 20,
        stream: io.progressStream ?? process.stderr,
        // The caller decided this is a terminal (io.isTTY); draw even on a stream that does not say so.
        noTTYOutput: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(p.total, 0, p);
          started = true;
        }
        bar.setTotal(p.total);
        bar.update(p.done, { embedded: p.embedded, unchanged: p.unchanged, failed: p.failed });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(p) {
      if (Date.now() - last >= 2000 && p.done < p.total) {
        last = Date.now();
        io.err(line(p));
      }
    },
    stop: (p) => {
      if (p) io.err(line(p));
    },
  };
}

/**
 * Registers `index` on a `pmoves-clip` program: embeds a Jellyfin library's Primary images (and
 * video keyframes with `--keyframes` or `--every`) into the configured index; resumable.
 */
export const registerIndex: CliRegistrar = (program, ctx) => {
  program
    .command('index')
    .description(
      "embed a Jellyfin library's Primary images (and video keyframes) into the CLIP index; resumable",
    )
    .option(
      '--jellyfin-url <url>',
      'Jellyfin base URL (default JELLYFIN_URL; the key comes from JELLYFIN_API_KEY)',
    )
    .option(
      '--types <list>',
      'comma-separated item types (default Movie,Series,Season,Episode,Video,MusicVideo,MusicAlbum,BoxSet)',
    )
    .option('--namespace <name>', 'namespace of the library in the index', 'jellyfin')
    .option(
      '--keyframes',
      'also embed the keyframes of each video (one frame at most every --min-gap seconds)',
    )
    .option(
      '--every <seconds>',
      'also embed one video frame every N seconds (instead of keyframes)',
      positiveNumber,
    )
    .option(
      '--min-gap <seconds>',
      'with --keyframes: at least this many seconds between frames',
      positiveNumber,
      10,
    )
    .option('--max-frames <n>', 'at most this many frames per video', positiveInt(100_000))
    .option('--concurrency <n>', 'image downloads in flight', positiveInt(64), 4)
    .option('--batch <n>', 'images per embedding batch', positiveInt(1024), 16)
    .addOption(new Option('--json', 'print the report as JSON on stdout'))
    .option('--no-progress', 'no progress bar or progress lines')
    .action(
      async (flags: {
        jellyfinUrl?: string;
        types?: string;
        namespace: string;
        keyframes?: boolean;
        every?: number;
        minGap: number;
        maxFrames?: number;
        concurrency: number;
        batch: number;
        json?: boolean;
        progress: boolean;
      }) => {
        const { io } = ctx;
        if (flags.keyframes && flags.every) {
          throw new ClipError('invalid-input', '--keyframes and --every are two sampling modes; give one');
        }
        const reader = new EnvReader(io.env);
        const url = flags.jellyfinUrl ?? reader.get(JELLYFIN_FIELDS.url);
        const apiKey = reader.get(JELLYFIN_FIELDS.apiKey);
        if (!url) reader.issue('JELLYFIN_URL', 'must be set (or pass --jellyfin-url)');
        if (!apiKey) reader.issue('JELLYFIN_API_KEY', 'must be set');
        const [
          { readClipIndexEnv, createClipStore },
          { createClipIndex },
          { indexJellyfinLibrary },
          { videoOptionsFromEnv },
        ] = await Promise.all([
          import('../library/env'),
          import('../library/clip-index'),
          import('./jellyfin-indexer'),
          import('../video/env'),
        ]);
        const indexOptions = readClipIndexEnv(reader);
        reader.finish(configError);
        const video = videoOptionsFromEnv(io.env);
        const keyframes = flags.every
          ? { everySeconds: flags.every, ...(flags.maxFrames ? { maxFrames: flags.maxFrames } : {}) }
          : flags.keyframes
            ? {
                keyframes: true as const,
                minGapSeconds: flags.minGap,
                ...(flags.maxFrames ? { maxFrames: flags.maxFrames } : {}),
              }
            : undefined;

        const embedder = await (ctx.openEmbedder ?? openEmbedder)(io.env, { modalities: ['image'] });
        let report: IndexReport | undefined;
        try {
          const store = await createClipStore(indexOptions.store);
          const index = await createClipIndex({
            store,
            embedder,
            namespace: flags.namespace,
            ...(indexOptions.model ? { space: { model: indexOptions.model } } : {}),
          }).catch(async (err: unknown) => {
            await store.close();
            throw err;
          });
          const bar = flags.progress ? progressReporter(io) : undefined;
          try {
            report = await indexJellyfinLibrary({
              jellyfin: { url: url!, apiKey: apiKey! },
              index,
              namespace: flags.namespace,
              ...(flags.types
                ? {
                    types: flags.types
                      .split(',')
                      .map((t) => t.trim())
                      .filter(Boolean),
                  }
                : {}),
              ...(keyframes ? { keyframes, embedder } : {}),
              ...(video.ffmpegPath ? { ffmpegPath: video.ffmpegPath } : {}),
              videoFetch: video.fetch,
              concurrency: flags.concurrency,
              batchSize: flags.batch,
              signal: io.stop,
              ...(bar ? { onProgress: (p: IndexProgress) => bar.update(p) } : {}),
            });
            bar?.stop(report);
          } finally {
            await index.close();
          }
        } finally {
          await embedder.dispose();
        }
        for (const f of report.failures) io.err(`failed ${f.id}: ${f.error.message}`);
        const summary = `indexed ${report.listed} Jellyfin items into namespace "${flags.namespace}": ${report.embedded} embedded, ${report.unchanged} unchanged, ${report.removed} removed, ${report.failed} failed${report.interrupted ? ' (interrupted: run again to resume)' : ''}`;
        if (flags.json) {
          io.out(
            JSON.stringify({
              ...report,
              failures: report.failures.map((f) => ({
                id: f.id,
                code: f.error.code,
                message: f.error.message,
              })),
            }),
          );
        }
        io.err(summary);
        ctx.setExitCode(report.interrupted ? 130 : report.failed > 0 ? 1 : 0);
      },
    );
};
