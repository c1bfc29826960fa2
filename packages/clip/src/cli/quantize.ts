// `pmoves-clip quantize <model-dir>`: quantizeModel, one line per file written (a progress bar
// over the files on a terminal, a line per file otherwise).
import { Presets, SingleBar } from 'cli-progress';
import { Option } from 'commander';
import { mib } from './progress';
import type { CliRegistrar } from './types';

/** Registers `quantize`. */
export const registerQuantize: CliRegistrar = (program, ctx) => {
  program
    .command('quantize')
    .description('write 8-bit dynamically quantized variants next to the fp32 files of a model directory')
    .argument('<model-dir>', 'a model directory (Xenova split/combined or Immich layout)')
    .addOption(
      new Option('--weights <type>', 'weight type; auto: int8 where the CPU has VNNI or AMX, uint8 otherwise')
        .choices(['int8', 'uint8', 'auto'])
        .default('auto'),
    )
    .option('--per-tensor', 'one scale per weight tensor instead of one per output column')
    .option('--full-range', 'full 8-bit int8 weights (only for CPUs with VNNI or AMX: others saturate)')
    .action(
      async (
        dir: string,
        opts: { weights: 'int8' | 'uint8' | 'auto'; perTensor?: boolean; fullRange?: boolean },
      ) => {
        const { io } = ctx;
        const { quantizeModel } = await import('../quantize/quantize-model');
        let bar: SingleBar | undefined;
        const result = await quantizeModel({
          modelDir: dir,
          weights: opts.weights,
          ...(opts.perTensor && { perChannel: false }),
          ...(opts.fullRange && { reduceRange: false }),
          onProgress: (e) => {
            if (e.kind === 'start') {
              if (io.isTTY) {
                bar ??= new SingleBar(
                  {
                    format: '  quantizing [{bar}] {value}/{total} files',
                    stream: io.progressStream ?? process.stderr,
                  },
                  Presets.legacy,
                );
                if (e.index === 0) bar.start(e.total, 0);
              } else io.err(`  ${e.input}: quantizing (${e.index + 1}/${e.total})`);
            } else {
              bar?.update(e.index + 1);
              if (e.index + 1 === e.total) bar?.stop();
            }
          },
        });
        io.err(`weights ${result.weights}: ${result.reason}`);
        for (const f of result.files) {
          const ops = Object.entries(f.report.quantized)
            .map(([op, n]) => `${n} ${op}`)
            .join(', ');
          io.out(`${f.output}\t${mib(f.inputBytes)} → ${mib(f.outputBytes)}\t${ops}`);
        }
      },
    );
};
