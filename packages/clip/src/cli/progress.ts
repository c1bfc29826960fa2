// Progress of long work: a cli-progress bar when stderr is a terminal, plain lines otherwise (at
// most one every two seconds, and the last one), so logs of a batch job stay readable.
import cliProgress from 'cli-progress';
import type { CliIo } from './types';

/** A progress reporter. */
export interface Progress {
  /** `n` more units done; `failed` of them failed. */
  tick(n: number, failed?: number): void;
  /** Stops the bar (or prints the last line). */
  stop(): void;
}

/** A progress reporter for `total` units of `label` work. */
export function createProgress(io: CliIo, label: string, total: number, unit = 'items'): Progress {
  const started = Date.now();
  let done = 0;
  let failed = 0;
  const rate = () => (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
  if (io.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted} | failed {failed}`,
        etaBuffer: 20,
        stream: io.progressStream ?? process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', failed: 0 });
    return {
      tick(n, f = 0) {
        done += n;
        failed += f;
        bar.update(done, { rate: rate(), failed });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  const line = () =>
    io.err(
      `${label}: ${done}/${total} ${unit} (${Math.round((100 * done) / Math.max(1, total))}%), ${rate()}/s, ${failed} failed`,
    );
  return {
    tick(n, f = 0) {
      done += n;
      failed += f;
      if (Date.now() - lastLine >= 2000 && done < total) {
        lastLine = Date.now();
        line();
      }
    },
    stop: line,
  };
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
