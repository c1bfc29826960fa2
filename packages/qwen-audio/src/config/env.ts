import { z } from 'zod';
import { QwenAudioError, describeZodIssues } from '../errors.js';
import { backendNameSchema } from '../schema.js';

/** Upstream PMOVES default for `QWEN_MODEL_NAME` (env.jellyfin-ai.example). */
export const DEFAULT_QWEN_MODEL = 'hf.co/second-state/Qwen2-Audio-7B-Instruct-GGUF:Q4_K_M';

const truthy = new Set(['1', 'true', 'yes', 'on']);
const falsy = new Set(['0', 'false', 'no', 'off', '']);
const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => truthy.has(v) || falsy.has(v), 'expected one of 1/0, true/false, yes/no, on/off')
  .transform((v) => truthy.has(v));

const positiveInt = z.coerce.number().int().positive();

/** Environment variables this package reads, validated; see the README for units and defaults. */
export const envSchema = z.object({
  JELLYFIN_AUDIO_QWEN_ENABLE: booleanFlag.optional(),
  QWEN_AUDIO_BACKEND: backendNameSchema.optional(),
  QWEN_AUDIO_URL: z.url().optional(),
  QWEN_MODEL_NAME: z.string().trim().min(1).optional(),
  QWEN_AUDIO_MODEL: z.string().trim().min(1).optional(),
  QWEN_AUDIO_API_KEY: z.string().min(1).optional(),
  QWEN_AUDIO_TIMEOUT_MS: positiveInt.optional(),
  QWEN_AUDIO_CHECK_TIMEOUT_MS: positiveInt.optional(),
  QWEN_AUDIO_KEEP_ALIVE: z.string().trim().min(1).optional(),
  QWEN_AUDIO_MAX_WINDOWS: positiveInt.max(256).optional(),
  QWEN_AUDIO_WINDOW_SECONDS: z.coerce.number().positive().max(30).optional(),
  FFMPEG_PATH: z.string().min(1).optional(),
});

/** Settings resolved from the environment (see {@link readQwenAudioEnv}). */
export interface QwenAudioEnv {
  /** `JELLYFIN_AUDIO_QWEN_ENABLE`; default false. */
  enabled: boolean;
  /** `QWEN_AUDIO_BACKEND`; default `ollama`. */
  backend: 'ollama' | 'openai';
  /** `QWEN_AUDIO_URL`; default `http://127.0.0.1:11434` (ollama) or `http://127.0.0.1:8000/v1` (openai). */
  url: string;
  /** `QWEN_MODEL_NAME`, else `QWEN_AUDIO_MODEL`, else {@link DEFAULT_QWEN_MODEL}. */
  model: string;
  /** `QWEN_AUDIO_API_KEY` (OpenAI-compatible servers started with an API key). */
  apiKey?: string;
  /** `QWEN_AUDIO_TIMEOUT_MS`: per model call, milliseconds; default 120000. */
  timeoutMs: number;
  /** `QWEN_AUDIO_CHECK_TIMEOUT_MS`: capability/model-list calls, milliseconds; default 10000. */
  checkTimeoutMs: number;
  /** `QWEN_AUDIO_KEEP_ALIVE`: Ollama `keep_alive` (e.g. `5m`, `-1`); default `5m`. */
  keepAlive: string;
  /** `QWEN_AUDIO_MAX_WINDOWS`: most windows analysed per item; default 12. */
  maxWindows: number;
  /** `QWEN_AUDIO_WINDOW_SECONDS`: window length, seconds, at most 30; default 30. */
  windowSeconds: number;
  /** `FFMPEG_PATH`: ffmpeg binary overriding the bundled one. */
  ffmpegPath?: string;
}

/**
 * Reads and validates this package's environment variables.
 *
 * @throws {@link QwenAudioError} `config`, naming each bad variable.
 */
export function readQwenAudioEnv(env: Record<string, string | undefined> = process.env): QwenAudioEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    throw new QwenAudioError('config', `invalid environment: ${describeZodIssues(parsed.error.issues)}`);
  }
  const e = parsed.data;
  const backend = e.QWEN_AUDIO_BACKEND ?? 'ollama';
  return {
    enabled: e.JELLYFIN_AUDIO_QWEN_ENABLE ?? false,
    backend,
    url: e.QWEN_AUDIO_URL ?? (backend === 'ollama' ? 'http://127.0.0.1:11434' : 'http://127.0.0.1:8000/v1'),
    model: e.QWEN_MODEL_NAME ?? e.QWEN_AUDIO_MODEL ?? DEFAULT_QWEN_MODEL,
    ...(e.QWEN_AUDIO_API_KEY ? { apiKey: e.QWEN_AUDIO_API_KEY } : {}),
    timeoutMs: e.QWEN_AUDIO_TIMEOUT_MS ?? 120_000,
    checkTimeoutMs: e.QWEN_AUDIO_CHECK_TIMEOUT_MS ?? 10_000,
    keepAlive: e.QWEN_AUDIO_KEEP_ALIVE ?? '5m',
    maxWindows: e.QWEN_AUDIO_MAX_WINDOWS ?? 12,
    windowSeconds: e.QWEN_AUDIO_WINDOW_SECONDS ?? 30,
    ...(e.FFMPEG_PATH ? { ffmpegPath: e.FFMPEG_PATH } : {}),
  };
}
