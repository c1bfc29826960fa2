// `pmoves-clip embed <files or dirs…>`: embeds images (directories are walked for image files)
// and texts (`--text`), writing one JSON line per input, in order, to stdout or `--out`.
import { createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Option } from 'commander';
import { ClipError } from '../errors';
import { encodeEmbedding } from '../server/wire';
import { openEmbedder } from './open-embedder';
import { createProgress } from './progress';
import type { CliRegistrar } from './types';

/** File extensions a directory walk picks up (what sharp decodes). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff', '.bmp'];

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(p);
  }
}

/** The image files named by `paths` (directories walked, sorted); every missing path is named. */
export async function collectImages(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (!s) missing.push(p);
    else if (s.isDirectory()) {
      const before = files.length;
      await walk(p, files);
      if (files.length === before)
        throw new ClipError('invalid-input', `${p} holds no image files (${IMAGE_EXTENSIONS.join(' ')})`);
    } else files.push(p);
  }
  if (missing.length)
    throw new ClipError('invalid-input', `no such file or directory: ${missing.join(', ')}`);
  return files;
}

function positiveInt(name: string) {
  return (raw: string) => {
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1))
      throw new ClipError(
        'invalid-input',
        `${name} must be a positive integer; received ${JSON.stringify(raw)}`,
      );
    return n;
  };
}

interface EmbedFlags {
  out?: string;
  text: string[];
  batch: number;
  encoding: 'float' | 'base64';
  progress: boolean;
}

/** Registers `embed`. */
export const registerEmbed: CliRegistrar = (program, ctx) => {
  program
    .command('embed')
    .description(
      'embed image files (directories are walked) and texts; one JSON line per input: {"input","kind","embedding"} or {"input","kind","error":{"code","message"}}. Uses CLIP_ENDPOINT when set, the local model otherwise. Exit 1 when any input failed',
    )
    .argument('[paths...]', 'image files or directories')
    .option('--out <file>', 'write the JSON lines here instead of stdout')
    .option('--text <text>', 'a text to embed (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .addOption(
      new Option('--batch <n>', 'inputs per embedder call').default(32).argParser(positiveInt('--batch')),
    )
    .addOption(
      new Option('--encoding <kind>', 'embedding encoding').choices(['float', 'base64']).default('float'),
    )
    .option('--no-progress', 'no progress bar or lines')
    .action(async (paths: string[], flags: EmbedFlags) => {
      const { io } = ctx;
      const files = await collectImages(paths);
      if (files.length === 0 && flags.text.length === 0)
        throw new ClipError('invalid-input', 'nothing to embed: give image files, directories or --text');
      const embedder = await openEmbedder(io.env);
      const sink = flags.out ? createWriteStream(flags.out) : undefined;
      const write = (o: object) => {
        const line = JSON.stringify(o);
        if (sink) sink.write(`${line}\n`);
        else io.out(line);
      };
      const total = files.length + flags.text.length;
      const progress = flags.progress ? createProgress(io, 'embed', total, 'inputs') : undefined;
      const t0 = Date.now();
      let failed = 0;
      try {
        for (let i = 0; i < files.length && !io.stop.aborted; i += flags.batch) {
          const batch = files.slice(i, i + flags.batch);
          const results = await embedder.embedImages(batch);
          let bad = 0;
          results.forEach((r, j) => {
            if (r.error) {
              bad++;
              write({
                input: batch[j],
                kind: 'image',
                error: { code: r.error.code, message: r.error.message },
              });
            } else
              write({
                input: batch[j],
                kind: 'image',
                embedding: encodeEmbedding(r.embedding, flags.encoding),
              });
          });
          failed += bad;
          progress?.tick(batch.length, bad);
        }
        for (let i = 0; i < flags.text.length && !io.stop.aborted; i += flags.batch) {
          const batch = flags.text.slice(i, i + flags.batch);
          const vectors = await embedder.embedTexts(batch);
          vectors.forEach((v, j) =>
            write({ input: batch[j], kind: 'text', embedding: encodeEmbedding(v, flags.encoding) }),
          );
          progress?.tick(batch.length);
        }
      } finally {
        progress?.stop();
        if (sink) {
          sink.end();
          await finished(sink);
        }
        await embedder.dispose();
      }
      const info = embedder.info();
      io.err(
        `embedded ${total - failed} of ${total} inputs (${failed} failed) with ${info.model} (${info.dims} dims) in ${((Date.now() - t0) / 1000).toFixed(1)} s${io.stop.aborted ? '; interrupted' : ''}`,
      );
      if (failed > 0 || io.stop.aborted) ctx.setExitCode(1);
    });
};
