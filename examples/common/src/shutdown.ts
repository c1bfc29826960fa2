// Graceful stop on SIGTERM/SIGINT: stop taking work, let the item in hand finish, close
// connections, exit 0. A second signal, or the deadline, exits at once (1).
import type { Logger } from './log';
import { errorMessage } from './log';

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits. `deadlineMs` bounds the wait
 * (default 25 s: inside Docker's and Kubernetes' default 30 s grace period).
 */
export function onShutdown(stop: () => Promise<void>, log: Logger, deadlineMs = 25_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log('warn', 'second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log('info', 'stopping: finishing the item in hand', { signal });
    const timer = setTimeout(() => {
      log('error', 'stop deadline passed: exiting with work unfinished', { deadline_ms: deadlineMs });
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => {
        log('info', 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log('error', 'stop failed', { error: errorMessage(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
