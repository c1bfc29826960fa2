// A `pmoves-clip` io for tests: lines collected instead of written, not a terminal, a stop signal
// that never fires unless given.
import type { CliIo } from '../src/cli/types';

/** A CliIo whose output lines are kept in `outLines` / `errLines`. */
export function captureIo(
  env: Record<string, string> = {},
  extra: Partial<CliIo> = {},
): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    out: (l) => outLines.push(l),
    err: (l) => errLines.push(l),
    isTTY: false,
    env,
    stop: new AbortController().signal,
    ...extra,
    outLines,
    errLines,
  };
}
