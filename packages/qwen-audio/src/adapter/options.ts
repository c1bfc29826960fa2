// The adapter's options: one zod schema (validation and the documented defaults), no environment.
import { z } from 'zod';
import { describeZodIssues } from '@pmoves/internal';
import type { AudioBackend } from '../backends/types';
import { QwenAudioError } from '../errors';
import { defaultTranscriptPrompt } from '../transcript/asr';
import type { TranscriptPrompt } from '../transcript/asr';

/**
 * Default model: Qwen2-Audio-7B-Instruct as vLLM serves it (`vllm serve Qwen/Qwen2-Audio-7B-Instruct`),
 * the server that passes it audio; start llama-server with `--alias Qwen/Qwen2-Audio-7B-Instruct` to
 * serve its GGUF under the same name. (Upstream PMOVES's Ollama default,
 * `hf.co/second-state/Qwen2-Audio-7B-Instruct-GGUF:Q4_K_M`, loads in Ollama without hearing audio.)
 */
export const DEFAULT_QWEN_MODEL = 'Qwen/Qwen2-Audio-7B-Instruct';

const httpUrl = z.url({
  protocol: /^https?$/,
  error: 'must be an http(s) URL such as http://127.0.0.1:8000',
});

/**
 * Options of `createQwenAudioAdapter`; every field is optional and defaults as documented here.
 * `qwenAudioOptionsFromEnv(env)` returns the ones the environment sets.
 */
export const qwenAudioAdapterOptionsSchema = z.object({
  /**
   * `auto` (default: ask the server what it is, see the README), `ollama` (native API) or `openai`
   * (vLLM, llama-server, Ollama /v1).
   */
  backend: z.enum(['auto', 'ollama', 'openai']).optional(),
  /**
   * Server base URL; default `http://127.0.0.1:8000` (auto), `http://127.0.0.1:8000/v1` (openai) or
   * `http://127.0.0.1:11434` (ollama). With `auto`, a trailing `/v1` is accepted.
   */
  url: httpUrl.optional(),
  /** Model name as the server knows it; default {@link DEFAULT_QWEN_MODEL}. */
  model: z.string().trim().min(1).optional(),
  /** API key for OpenAI-compatible servers started with one. */
  apiKey: z.string().min(1).optional(),
  /** Master switch; default false (then `analyze` returns `skipped` and calls nothing). */
  enabled: z.boolean().optional(),
  /** Per model call, ms; default 120000. */
  timeoutMs: z.number().int().positive().optional(),
  /** Capability check, per request, ms; default 10000. */
  checkTimeoutMs: z.number().int().positive().optional(),
  /** Ollama `keep_alive`; default `5m`. */
  keepAlive: z.string().min(1).optional(),
  /** Most windows per item; default 12. */
  maxWindows: z.number().int().positive().max(256).optional(),
  /** Window length, s (≤ 30); default 30. */
  windowSeconds: z.number().positive().max(30).optional(),
  /** ffmpeg binary; default the one in `@ffmpeg-installer/ffmpeg`. */
  ffmpegPath: z.string().min(1).optional(),
  /** ffmpeg processes extracting windows at once; default 2. */
  windowConcurrency: z.number().int().positive().max(16).optional(),
  /** Compute signal features and give them to the prompt; default true. */
  features: z.boolean().optional(),
  /** `deterministic` (default; see README) or `model` (one extra text-only call). */
  summaryMerge: z.enum(['deterministic', 'model']).optional(),
  /** Skip the audio-capability check (you vouch the model hears audio). */
  assumeAudioCapable: z.boolean().optional(),
  /** Request token log-probabilities; default true. */
  logprobs: z.boolean().optional(),
  /**
   * Speech transcript: `windows` (default: the analysed windows), `full` (the whole item, in
   * overlapping windows) or `off`.
   */
  transcript: z.enum(['windows', 'full', 'off']).optional(),
  /** Transcription windows in flight at once (`full` decodes and transcribes this many); default 2. */
  transcriptConcurrency: z.number().int().positive().max(16).optional(),
  /**
   * How transcription is asked for: `chat` (the Instruct model's question) or `asr` (the base model's
   * speech-recognition prompt); default `asr` for a base Qwen2-Audio id, else `chat`.
   */
  transcriptPrompt: z.enum(['chat', 'asr']).optional(),
  /** How the OpenAI-compatible backend carries audio: `input_audio` (default; vLLM and llama-server) or `audio_url` (vLLM, data URL). */
  audioContent: z.enum(['input_audio', 'audio_url']).optional(),
});

/** See {@link qwenAudioAdapterOptionsSchema}. */
export type QwenAudioAdapterOptions = z.input<typeof qwenAudioAdapterOptionsSchema> & {
  /** A ready backend (custom protocol or wrapped client) instead of `backend`/`url`. */
  customBackend?: AudioBackend;
};

/** The options with every default filled in. */
export interface ResolvedAdapterOptions {
  backend: 'auto' | 'ollama' | 'openai';
  url: string;
  model: string;
  apiKey: string | undefined;
  enabled: boolean;
  timeoutMs: number;
  checkTimeoutMs: number;
  keepAlive: string;
  maxWindows: number;
  windowSeconds: number;
  ffmpegPath: string | undefined;
  windowConcurrency: number;
  features: boolean;
  summaryMerge: 'deterministic' | 'model';
  assumeAudioCapable: boolean;
  logprobs: boolean;
  transcript: 'windows' | 'full' | 'off';
  transcriptConcurrency: number;
  transcriptPrompt: TranscriptPrompt;
  audioContent: 'input_audio' | 'audio_url';
}

/** Default base URL of each backend. */
export const DEFAULT_URLS = {
  auto: 'http://127.0.0.1:8000',
  ollama: 'http://127.0.0.1:11434',
  openai: 'http://127.0.0.1:8000/v1',
} as const;

/**
 * Validates options and fills in the defaults.
 *
 * @throws {@link QwenAudioError} `invalid-input` naming each bad option.
 */
export function resolveAdapterOptions(options: QwenAudioAdapterOptions): ResolvedAdapterOptions {
  const { customBackend, ...rest } = options;
  const parsed = qwenAudioAdapterOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new QwenAudioError(
      'invalid-input',
      `invalid adapter options: ${describeZodIssues(parsed.error.issues, 'options')}`,
    );
  }
  const o = parsed.data;
  const backend = customBackend?.name ?? o.backend ?? 'auto';
  const model = customBackend?.model ?? o.model ?? DEFAULT_QWEN_MODEL;
  return {
    backend,
    url: o.url ?? DEFAULT_URLS[backend],
    model,
    apiKey: o.apiKey,
    enabled: o.enabled ?? false,
    timeoutMs: o.timeoutMs ?? 120_000,
    checkTimeoutMs: o.checkTimeoutMs ?? 10_000,
    keepAlive: o.keepAlive ?? '5m',
    maxWindows: o.maxWindows ?? 12,
    windowSeconds: o.windowSeconds ?? 30,
    ffmpegPath: o.ffmpegPath,
    windowConcurrency: o.windowConcurrency ?? 2,
    features: o.features ?? true,
    summaryMerge: o.summaryMerge ?? 'deterministic',
    assumeAudioCapable: o.assumeAudioCapable ?? false,
    logprobs: o.logprobs ?? true,
    transcript: o.transcript ?? 'windows',
    transcriptConcurrency: o.transcriptConcurrency ?? 2,
    transcriptPrompt: o.transcriptPrompt ?? defaultTranscriptPrompt(model),
    audioContent: o.audioContent ?? 'input_audio',
  };
}
