// The `pmoves-clip` program: built from a list of registrars, one per subcommand, so that each
// module owning a command (serve, embed, info, pull, quantize here; index in indexer/) adds itself
// with one line in CLIP_CLI_COMMANDS.
import { Command, CommanderError } from 'commander';
import { ClipError } from '../errors';
import { registerIndex } from '../indexer/cli';
import { registerEmbed } from './embed';
import { registerInfo } from './info';
import { registerPull } from './pull';
import { registerQuantize } from './quantize';
import { registerServe } from './serve';
import type { CliContext, CliIo, CliRegistrar } from './types';
import { clipVersion } from './version';

/** Every subcommand of `pmoves-clip`, in the order `--help` lists them. */
export const CLIP_CLI_COMMANDS: readonly CliRegistrar[] = [
  registerServe,
  registerEmbed,
  registerInfo,
  registerPull,
  registerQuantize,
  registerIndex,
];

/** Builds the program with the given subcommands (output goes through `ctx.io`; nothing exits the process). */
export function buildClipProgram(
  ctx: CliContext,
  registrars: readonly CliRegistrar[] = CLIP_CLI_COMMANDS,
): Command {
  const program = new Command('pmoves-clip')
    .description('CLIP embeddings on onnxruntime: an embedding server, batch embedding and model tools')
    .version(clipVersion(), '-V, --version')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => ctx.io.out(s.trimEnd()), writeErr: (s) => ctx.io.err(s.trimEnd()) });
  for (const register of registrars) register(program, ctx);
  // Every subcommand reports through the same path instead of exiting the process.
  const exitless = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => ctx.io.out(s.trimEnd()), writeErr: (s) => ctx.io.err(s.trimEnd()) });
    c.commands.forEach(exitless);
  };
  exitless(program);
  return program;
}

/**
 * Runs `pmoves-clip` with `argv` (without `node` and the script) and returns the exit code: 0 ok,
 * 1 failure, 2 bad usage or configuration. `--help` and `--version` print and return 0.
 */
export async function runClipCli(
  argv: readonly string[],
  io: CliIo,
  registrars: readonly CliRegistrar[] = CLIP_CLI_COMMANDS,
  openEmbedder?: CliContext['openEmbedder'],
): Promise<number> {
  let code = 0;
  const ctx: CliContext = { io, setExitCode: (c) => (code = c), ...(openEmbedder && { openEmbedder }) };
  const program = buildClipProgram(ctx, registrars);
  const name = argv.find((a) => !a.startsWith('-')) ?? '';
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // `--help`/`--version` were asked for; anything else (no or an unknown command, a bad
      // option) is a usage error commander has already described.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.err(`pmoves-clip${name ? ` ${name}` : ''}: ${message}`);
    return err instanceof ClipError && (err.code === 'config' || err.code === 'invalid-input') ? 2 : 1;
  }
}

/** The io of the real process: stdout/stderr lines, the environment, SIGINT/SIGTERM as `stop`. */
export function processIo(): CliIo {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    stop: stop.signal,
  };
}

/** Runs the CLI in this process and exits with its code once stdout is flushed. */
export async function main(argv: readonly string[]): Promise<never> {
  const code = await runClipCli(argv, processIo()).catch((err: unknown) => {
    process.stderr.write(`pmoves-clip: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  });
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
