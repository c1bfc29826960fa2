// How the backfill reports progress: a cli-progress bar on a terminal, with each failure's reason
// printed above it; plain log lines otherwise.
import cliProgress from 'cli-progress';

/** Running counts shown by the reporter. */
export interface Counts {
  /** Analysed and stored. */
  ok: number;
  /** Skipped (unchanged or disabled). */
  skip: number;
  /** Failed. */
  fail: number;
}

/** One finished item. */
export interface ItemReport {
  /** 1-based position among finished items. */
  n: number;
  /** Item id. */
  id: string;
  /** `processed`, `skipped` or `failed`. */
  outcome: string;
  /** Tags and mood, the skip reason, or the failure (`code: message`). */
  detail: string;
  /** Seconds the item took. */
  seconds: number;
  /** Counts after this item. */
  counts: Counts;
}

/** Receives the run's progress. */
export interface Reporter {
  /** Called after each item. */
  item(report: ItemReport): void;
  /** Called once at the end. */
  stop(): void;
}

/** Options of {@link createReporter}. */
export interface ReporterOptions {
  /** Items in the run. */
  total: number;
  /** Draw a bar on `stream` (a terminal) instead of log lines. */
  bar: boolean;
  /** Where the bar is drawn. */
  stream: NodeJS.WritableStream;
  /** Where log lines go. */
  log: (line: string) => void;
}

/** A progress reporter for one run. */
export function createReporter(opts: ReporterOptions): Reporter {
  const started = Date.now();
  if (!opts.bar) {
    return {
      item(r) {
        const elapsed = (Date.now() - started) / 1000;
        const eta = Math.round((elapsed / r.n) * (opts.total - r.n));
        opts.log(
          `[${r.n}/${opts.total}] ${r.outcome} ${r.id} in ${r.seconds.toFixed(1)} s: ${r.detail} (ETA ${eta} s)`,
        );
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      format: 'backfill [{bar}] {value}/{total} | ETA {eta_formatted} | ok {ok} skip {skip} fail {fail}',
      etaBuffer: 20,
      stream: opts.stream,
      hideCursor: false,
      clearOnComplete: false,
      gracefulExit: false, // the bin handles Ctrl-C itself (finish in-flight items)
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(opts.total, 0, { ok: 0, skip: 0, fail: 0 });
  return {
    item(r) {
      // Printed above the bar, so a failure's reason stays on screen, not just its count.
      if (r.outcome === 'failed') multi.log(`failed ${r.id}: ${r.detail}\n`);
      bar.update(r.n, { ...r.counts });
    },
    stop() {
      multi.update(); // flush lines logged since the last redraw: stop() alone drops them
      multi.stop();
    },
  };
}
