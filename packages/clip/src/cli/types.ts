// What a `pmoves-clip` subcommand gets: the program to register on and the process it runs in.
import type { Env } from '@pmoves/internal';
import type { Command } from 'commander';
import type { ClipEmbedder } from '../types';

/** The process a command runs in (the bin passes the real one; tests pass their own). */
export interface CliIo {
  /** Writes one line to stdout (results). */
  out(line: string): void;
  /** Writes one line to stderr (logs, errors). */
  err(line: string): void;
  /** Whether stderr is a terminal (progress bars there, plain lines otherwise). */
  isTTY: boolean;
  /** The environment commands read their configuration from (never `process.env` directly). */
  env: Env;
  /** Aborts on SIGINT/SIGTERM: long-running commands stop gracefully. */
  stop: AbortSignal;
  /** Where a TTY progress bar draws (default: `process.stderr`). */
  progressStream?: NodeJS.WritableStream;
}

/** Handed to every registrar: the io, and the exit code the run will end with. */
export interface CliContext {
  /** The process the command runs in. */
  readonly io: CliIo;
  /** Sets the exit code (0 ok, 1 failure, 2 usage or configuration; default 0). */
  setExitCode(code: number): void;
  /**
   * Opens the embedder a command uses (default: the remote client when CLIP_ENDPOINT is set, else
   * the local model from CLIP_*). Tests pass their own.
   */
  openEmbedder?: (env: Env, options?: { modalities?: ('image' | 'text')[] }) => Promise<ClipEmbedder>;
}

/**
 * Registers one subcommand on the `pmoves-clip` program. A module owning a subcommand exports one
 * of these and is listed in `CLIP_CLI_COMMANDS` (src/cli/main.ts). Actions should import heavy
 * modules (onnxruntime) lazily so that `--help` stays fast, read configuration from `ctx.io.env`,
 * and throw: a `ClipError` with code `config` or `invalid-input` exits 2, anything else 1, with
 * one line on stderr.
 */
export type CliRegistrar = (program: Command, ctx: CliContext) => void;
