// The adapter: options → backend → the analysis pipeline, behind the master switch.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAutoBackend } from '../backends/auto';
import { createOllamaBackend } from '../backends/ollama';
import { createOpenAIBackend } from '../backends/openai';
import type { AudioBackend } from '../backends/types';
import { QwenAudioError, throwIfAborted } from '../errors';
import { analyzeFile } from '../pipeline/analyze';
import type { AnalyzeOptions } from '../pipeline/analyze';
import type { AnalysisContext } from '../pipeline/context';
import { withTimeout } from '../pipeline/context';
import type { AnalysisResult, BackendName, SkippedResult } from '../schema';
import { resolveAdapterOptions } from './options';
import type { QwenAudioAdapterOptions, ResolvedAdapterOptions } from './options';
import { PROMPT_VERSION } from './prompt';

/** Audio input: a file path (any format ffmpeg reads, including video files) or the file's bytes. */
export type AudioInput = string | Uint8Array;

/** The adapter returned by {@link createQwenAudioAdapter}. */
export interface QwenAudioAdapter {
  /** Whether analysis is switched on (`JELLYFIN_AUDIO_QWEN_ENABLE`). */
  readonly enabled: boolean;
  /** Model name sent to the backend. */
  readonly model: string;
  /** Backend protocol: with `auto`, `auto` until the server has been asked (`checkCapability`). */
  readonly backend: BackendName | 'auto';
  /** The server, in words, once known (`llama-server at …`). */
  readonly server: string | undefined;
  /** Base URL of the model server. */
  readonly url: string;
  /** Prompt version stored with results. */
  readonly promptVersion: string;
  /**
   * Analyses one item. Returns `skipped` (and calls nothing) when the toggle is off.
   *
   * @throws {@link QwenAudioError} with codes `model-not-found`, `no-audio-capability`, `bad-output`,
   *   `timeout`, `aborted`, `backend`, `decode`, `ffmpeg`.
   */
  analyze(input: AudioInput, opts?: AnalyzeOptions): Promise<AnalysisResult | SkippedResult>;
  /** Runs (once, memoised on success) the model/audio-capability check. */
  checkCapability(signal?: AbortSignal): Promise<void>;
}

function createBackend(o: ResolvedAdapterOptions): AudioBackend {
  const common = {
    url: o.url,
    model: o.model,
    logprobs: o.logprobs,
    assumeAudioCapable: o.assumeAudioCapable,
  };
  const key = o.apiKey ? { apiKey: o.apiKey } : {};
  if (o.backend === 'ollama') return createOllamaBackend({ ...common, keepAlive: o.keepAlive });
  if (o.backend === 'openai') return createOpenAIBackend({ ...common, ...key, audioContent: o.audioContent });
  return createAutoBackend({ ...common, ...key, keepAlive: o.keepAlive, audioContent: o.audioContent });
}

/** Writes bytes to a private temp file for the duration of `work`. */
async function withTempFile<T>(bytes: Uint8Array, work: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'pmoves-qwen-audio-'));
  try {
    const file = join(dir, 'input');
    await writeFile(file, bytes);
    return await work(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Creates the Qwen2-Audio adapter from options alone (it reads no environment: see
 * `createQwenAudioAdapterFromEnv`): decoding, windowing, features, model calls with validation and
 * one stricter retry, merging and confidence.
 *
 * @throws {@link QwenAudioError} `invalid-input` naming the bad option.
 */
export function createQwenAudioAdapter(options: QwenAudioAdapterOptions = {}): QwenAudioAdapter {
  const o = resolveAdapterOptions(options);
  const backend = options.customBackend ?? createBackend(o);
  let capable: Promise<void> | null = null;
  const checkCapability = (signal?: AbortSignal): Promise<void> => {
    capable ??= backend.checkAudioCapability(withTimeout(signal, o.checkTimeoutMs)).catch((err) => {
      capable = null; // a later call may succeed once the model is pulled
      throw err;
    });
    return capable;
  };
  const ctx: AnalysisContext = { options: o, backend, ensureCapable: checkCapability };

  return {
    enabled: o.enabled,
    model: backend.model,
    get backend() {
      return backend.name;
    },
    get server() {
      return backend.server;
    },
    url: o.url,
    promptVersion: PROMPT_VERSION,
    checkCapability,
    async analyze(input, opts = {}) {
      if (!o.enabled) {
        return {
          status: 'skipped',
          reason:
            'Qwen audio analysis is disabled (set JELLYFIN_AUDIO_QWEN_ENABLE=true or pass enabled: true)',
          model: backend.model,
          backend: backend.name,
        };
      }
      const started = performance.now();
      throwIfAborted(opts.signal);
      if (typeof input === 'string') return analyzeFile(ctx, input, opts, started);
      if (!(input instanceof Uint8Array) || input.byteLength === 0) {
        throw new QwenAudioError('invalid-input', 'input must be a file path or non-empty bytes');
      }
      return withTempFile(input, (file) => analyzeFile(ctx, file, opts, started));
    },
  };
}
