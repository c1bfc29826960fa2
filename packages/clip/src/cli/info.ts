// `pmoves-clip info`: what the environment's embedder runs (model, files, provider, dtype, dims),
// as JSON. Loads the local model, or asks the server when CLIP_ENDPOINT is set.
import { openEmbedder } from './open-embedder';
import type { CliRegistrar } from './types';

/** Registers `info`. */
export const registerInfo: CliRegistrar = (program, ctx) => {
  program
    .command('info')
    .description(
      "load the model the environment names (or ask CLIP_ENDPOINT's server) and print what runs, as JSON",
    )
    .action(async () => {
      const embedder = await openEmbedder(ctx.io.env);
      try {
        const info = embedder.refreshInfo ? await embedder.refreshInfo() : embedder.info();
        ctx.io.out(JSON.stringify(info, null, 2));
      } finally {
        await embedder.dispose();
      }
    });
};
