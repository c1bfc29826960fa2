// `pmoves-clip pull <repo>`: pullModel with a progress bar on a terminal (cli-progress) and plain
// lines otherwise. The hub is configured from HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and
// HF_HUB_CACHE / HF_HOME.
import { Presets, SingleBar } from 'cli-progress';
import { Option } from 'commander';
import type { ClipDtype } from '../types';
import type { PullProgress } from '../hub/pull';
import { mib } from './progress';
import type { CliIo, CliRegistrar } from './types';

function reporter(io: CliIo): (e: PullProgress) => void {
  let bar: SingleBar | undefined;
  let nextLine = 0;
  return (e) => {
    if (e.kind === 'plan') {
      io.err(`pull ${e.repo} at ${e.commit}: ${e.files.length} files`);
    } else if (e.kind === 'cached') {
      io.err(`  ${e.file}: cached (${mib(e.size)}, verified)`);
    } else if (e.kind === 'start') {
      const resume = e.resumeFrom > 0 ? `, resuming at ${mib(e.resumeFrom)}` : '';
      if (io.isTTY) {
        bar = new SingleBar(
          {
            format: `  ${e.file} [{bar}] {percentage}% {value}/{total} MiB${resume}`,
            stream: io.progressStream ?? process.stderr,
            hideCursor: true,
          },
          Presets.legacy,
        );
        bar.start(+(e.size / 2 ** 20).toFixed(1), +(e.resumeFrom / 2 ** 20).toFixed(1));
      } else {
        io.err(`  ${e.file}: downloading ${mib(e.size)}${resume}`);
        nextLine = e.resumeFrom + e.size / 4;
      }
    } else if (e.kind === 'bytes') {
      if (bar) bar.update(+(e.received / 2 ** 20).toFixed(1));
      else if (e.received >= nextLine && e.received < e.size) {
        io.err(`  ${e.file}: ${Math.floor((100 * e.received) / e.size)}%`);
        nextLine += e.size / 4;
      }
    } else if (e.kind === 'done') {
      bar?.stop();
      bar = undefined;
      io.err(`  ${e.file}: done (${mib(e.size)}, verified)`);
    }
  };
}

/** Registers `pull`. */
export const registerPull: CliRegistrar = (program, ctx) => {
  program
    .command('pull')
    .description(
      'download a CLIP model from the Hugging Face hub into the hub cache (HF_HUB_CACHE / HF_HOME); prints the snapshot directory',
    )
    .argument('<repo>', 'hub repo id, ORG/NAME')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .addOption(
      new Option('--dtype <dtype>', 'precision of the ONNX graphs')
        .choices(['q8', 'fp16', 'fp32'])
        .default('q8'),
    )
    .addOption(new Option('--only <tower>', 'pull one tower').choices(['image', 'text']))
    .option(
      '--cache-dir <dir>',
      'hub cache to write (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)',
    )
    .action(
      async (
        repo: string,
        opts: { revision: string; dtype: ClipDtype; only?: 'image' | 'text'; cacheDir?: string },
      ) => {
        const { io } = ctx;
        const [{ hubOptionsFromEnv }, { pullModel }] = await Promise.all([
          import('../config/env'),
          import('../hub/pull'),
        ]);
        const hub = hubOptionsFromEnv(io.env);
        const result = await pullModel({
          repo,
          revision: opts.revision,
          dtype: opts.dtype,
          ...(opts.only && { modalities: [opts.only] }),
          cacheDir: opts.cacheDir ?? hub.cacheDir,
          endpoint: hub.endpoint,
          offline: hub.offline,
          ...(hub.token !== undefined && { token: hub.token }),
          onProgress: reporter(io),
        });
        // The snapshot directory on stdout, so scripts can use it as CLIP_MODEL_PATH.
        io.out(result.snapshot);
      },
    );
};
