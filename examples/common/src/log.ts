// Structured logs: one JSON object a line on stderr, as PMOVES's Python services log.
// `PMOVES_EXAMPLES_QUIET=1` drops info lines (tests); warnings and errors always print.

/** Log levels. */
export type LogLevel = 'info' | 'warn' | 'error';

/** A logger bound to a service name. */
export interface Logger {
  /** Writes one JSON line: `{ ts, level, service, msg, ...fields }`. */
  (level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** A logger whose lines carry `service`. */
export function createLogger(service: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const quiet = env.PMOVES_EXAMPLES_QUIET === '1';
  return (level, msg, fields = {}) => {
    if (quiet && level === 'info') return;
    console.error(JSON.stringify({ ts: new Date().toISOString(), level, service, msg, ...fields }));
  };
}

/** The message of an unknown thrown value. */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
