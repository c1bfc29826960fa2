#!/usr/bin/env node
// The `pmoves-qwen-audio` bin. First Ctrl-C: finish in-flight items, save progress, exit 130.
// Second Ctrl-C: abort the in-flight items too.
import { runCli } from './cli/program';

const stop = new AbortController();
const abort = new AbortController();
process.on('SIGINT', () => {
  if (!stop.signal.aborted) {
    process.stderr.write('\nstopping: finishing in-flight items (Ctrl-C again to abort them)\n');
    stop.abort();
  } else abort.abort();
});

runCli(process.argv.slice(2), {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  isTTY: Boolean(process.stderr.isTTY),
  progressStream: process.stderr,
  env: process.env,
  stop: stop.signal,
  abort: abort.signal,
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fatal: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
