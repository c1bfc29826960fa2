// Runs the processor's real command line as a child process and reads its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const EXAMPLES = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** A JSON log line. */
export type LogLine = { level: string; msg: string } & Record<string, unknown>;

/** A running processor command. */
export interface ProcessorProcess {
  /** The child. */
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** stdout so far. */
  stdout(): string;
  /** Non-JSON stderr so far (stack traces). */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Starts `cli.ts <args>` with exactly `env` (plus PATH/HOME), from the examples folder. */
export function startProcessor(args: string[], env: Record<string, string>): ProcessorProcess {
  const child = spawn(process.execPath, ['--conditions=@pmoves/source', '--import', 'tsx', CLI, ...args], {
    cwd: EXAMPLES,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let out = '';
  let err = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        err += `${line}\n`;
      }
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, logs, stdout: () => out, stderr: () => err, exited };
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
