// `pmoves-clip serve` (and the `pmoves-clip-server` alias): the embedding server over the local
// model. It listens first (a port in use fails before a model is loaded), answers /healthz at once
// and /readyz once the model is loaded, and shuts down gracefully on SIGINT/SIGTERM.
import { Option } from 'commander';
import { ClipError } from '../errors';
import type { ClipEmbedder } from '../types';
import { openLocalEmbedder } from './open-embedder';
import type { CliRegistrar } from './types';

function port(raw: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= 65535))
    throw new ClipError(
      'invalid-input',
      `--port must be an integer from 0 to 65535; received ${JSON.stringify(raw)}`,
    );
  return n;
}

/** Registers `serve`. */
export const registerServe: CliRegistrar = (program, ctx) => {
  program
    .command('serve')
    .description(
      'serve embeddings over HTTP: POST /v1/embeddings (OpenAI shape), /v1/models, /healthz, /readyz, /metrics; configured by PORT, HOST, CLIP_SERVER_*, CLIP_IMAGE_FETCH_* and the model variables (CLIP_MODEL, CLIP_MODEL_PATH, CLIP_DTYPE, CLIP_DEVICE …)',
    )
    .addOption(new Option('--port <n>', 'TCP port (default PORT or 8095)').argParser(port))
    .option('--host <address>', 'interface to listen on (default HOST or 127.0.0.1)')
    .action(async (flags: { port?: number; host?: string }) => {
      const { io } = ctx;
      const { clipServerOptionsFromEnv, startClipServer } = await import('../server');
      const { port: envPort, host: envHost, ...options } = clipServerOptionsFromEnv(io.env);
      const host = flags.host ?? envHost;
      let loaded: ClipEmbedder | undefined;
      const loading = openLocalEmbedder(io.env).then((e) => (loaded = e));
      // A failed load is reported below; the server only sees the rejected promise.
      loading.catch(() => undefined);
      let running;
      try {
        running = await startClipServer({ ...options, embedder: loading, port: flags.port ?? envPort, host });
      } catch (err) {
        // Listening failed (a port in use): one line, exit 1. The model may be loading: release it.
        io.err(`pmoves-clip serve: ${(err as Error).message}`);
        ctx.setExitCode(1);
        await loading.then((e) => e.dispose()).catch(() => undefined);
        return;
      }
      io.err(`pmoves-clip serve listening on ${running.url} (loading the model)`);
      const stopped = new Promise<void>((resolve) => {
        if (io.stop.aborted) resolve();
        io.stop.addEventListener('abort', () => resolve(), { once: true });
      });
      try {
        const embedder = await Promise.race([loading, stopped.then(() => undefined)]);
        if (embedder) {
          const info = embedder.info();
          io.err(
            `model ${info.model}, ${info.dtype} on ${info.provider}, ${info.dims} dims, loaded in ${info.loadMs} ms; ready`,
          );
        }
      } catch (err) {
        await running.close();
        throw err;
      }
      await stopped;
      io.err('pmoves-clip serve: stopping (finishing accepted requests)');
      const complete = await running.close();
      if (!complete)
        io.err('pmoves-clip serve: shutdown timeout reached; the remaining requests were cut off');
      await loaded?.dispose();
    });
};
