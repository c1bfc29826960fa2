import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { decodePcm } from '../audio/decode.js';
import { QWEN_SAMPLE_RATE, probeAudio, resolveFfmpegPath } from '../audio/ffmpeg.js';
import { prepareWindows } from '../audio/prepare.js';
import type { PreparedWindow } from '../audio/prepare.js';
import { encodeWav } from '../audio/wav.js';
import { planWindows } from '../audio/windows.js';
import { createOllamaBackend } from '../backends/ollama.js';
import { createOpenAIBackend } from '../backends/openai.js';
import type { AudioBackend } from '../backends/types.js';
import { readQwenAudioEnv } from '../config/env.js';
import { QwenAudioError, describeZodIssues, throwIfAborted } from '../errors.js';
import { FeatureAccumulator } from '../features/extract.js';
import { analysisResultSchema, backendNameSchema, modelReplySchema, normalizeTags } from '../schema.js';
import type { AnalysisResult, AudioFeatures, ChunkResult, SkippedResult } from '../schema.js';
import {
  clamp01,
  confidenceFromLogprobs,
  mergeConfidence,
  mergeLanguage,
  mergeMood,
  mergeSummaryDeterministic,
  mergeTags,
} from './merge.js';
import { parseModelJson } from './parse.js';
import { PROMPT_VERSION, SYSTEM_PROMPT, buildMergePrompt, buildPrompt, buildStrictPrompt } from './prompt.js';

/**
 * Options for {@link createQwenAudioAdapter}. Anything left out comes from the environment
 * (see the README's table), then from the defaults.
 */
export const qwenAudioAdapterOptionsSchema = z.object({
  /** `ollama` (native API) or `openai` (vLLM, llama-server, Ollama /v1). Env: QWEN_AUDIO_BACKEND. */
  backend: backendNameSchema.optional(),
  /** Server base URL. Env: QWEN_AUDIO_URL. */
  url: z.url().optional(),
  /** Model name. Env: QWEN_MODEL_NAME (alias QWEN_AUDIO_MODEL). */
  model: z.string().min(1).optional(),
  /** API key for OpenAI-compatible servers. Env: QWEN_AUDIO_API_KEY. */
  apiKey: z.string().min(1).optional(),
  /** Master switch. Env: JELLYFIN_AUDIO_QWEN_ENABLE; default false. */
  enabled: z.boolean().optional(),
  /** Per model call, ms. Env: QWEN_AUDIO_TIMEOUT_MS; default 120000. */
  timeoutMs: z.number().int().positive().optional(),
  /** Capability check, ms. Env: QWEN_AUDIO_CHECK_TIMEOUT_MS; default 10000. */
  checkTimeoutMs: z.number().int().positive().optional(),
  /** Ollama keep_alive. Env: QWEN_AUDIO_KEEP_ALIVE; default `5m`. */
  keepAlive: z.string().min(1).optional(),
  /** Most windows per item. Env: QWEN_AUDIO_MAX_WINDOWS; default 12. */
  maxWindows: z.number().int().positive().max(256).optional(),
  /** Window length, s (≤ 30). Env: QWEN_AUDIO_WINDOW_SECONDS; default 30. */
  windowSeconds: z.number().positive().max(30).optional(),
  /** ffmpeg binary. Env: FFMPEG_PATH; default the one in @ffmpeg-installer/ffmpeg. */
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
  /** Environment to read instead of `process.env`. */
  // z.custom rather than z.record: process.env is not a plain object and z.record refuses it.
  env: z
    .custom<Record<string, string | undefined>>(
      (v) => typeof v === 'object' && v !== null,
      'expected an object of strings',
    )
    .optional(),
});

/** See {@link qwenAudioAdapterOptionsSchema}. */
export type QwenAudioAdapterOptions = z.input<typeof qwenAudioAdapterOptionsSchema> & {
  /** A ready backend (custom protocol or wrapped client) instead of `backend`/`url`. */
  customBackend?: AudioBackend;
};

/** Per-call options of `analyze`. */
export interface AnalyzeOptions {
  /** Aborts decoding and any in-flight model call. */
  signal?: AbortSignal;
  /** The input's SHA-256 if already computed (skips re-hashing). */
  audioSha256?: string;
}

/** Audio input: a file path (any format ffmpeg reads, including video files) or the file's bytes. */
export type AudioInput = string | Uint8Array;

/** The adapter returned by {@link createQwenAudioAdapter}. */
export interface QwenAudioAdapter {
  /** Whether analysis is switched on (`JELLYFIN_AUDIO_QWEN_ENABLE`). */
  readonly enabled: boolean;
  /** Model name sent to the backend. */
  readonly model: string;
  /** Backend protocol. */
  readonly backend: 'ollama' | 'openai';
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

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  } catch (cause) {
    if (signal?.aborted) throw new QwenAudioError('aborted', 'hashing aborted', { cause });
    throw new QwenAudioError('invalid-input', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return hash.digest('hex');
}

function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, t]) : t;
}

/**
 * Creates the Qwen2-Audio adapter: decoding, windowing, features, model calls with validation and one
 * stricter retry, merging and confidence.
 *
 * @throws {@link QwenAudioError} `invalid-input` / `config` naming the bad option or variable.
 */
export function createQwenAudioAdapter(options: QwenAudioAdapterOptions = {}): QwenAudioAdapter {
  const { customBackend, ...rest } = options;
  const parsed = qwenAudioAdapterOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new QwenAudioError(
      'invalid-input',
      `invalid adapter options: ${describeZodIssues(parsed.error.issues)}`,
    );
  }
  const o = parsed.data;
  const env = readQwenAudioEnv(o.env ?? process.env);
  const backendName = customBackend?.name ?? o.backend ?? env.backend;
  const envUrlFitsBackend = o.backend === undefined || o.backend === env.backend;
  const url =
    o.url ??
    (envUrlFitsBackend
      ? env.url
      : backendName === 'ollama'
        ? 'http://127.0.0.1:11434'
        : 'http://127.0.0.1:8000/v1');
  const model = customBackend?.model ?? o.model ?? env.model;
  const enabled = o.enabled ?? env.enabled;
  const timeoutMs = o.timeoutMs ?? env.timeoutMs;
  const checkTimeoutMs = o.checkTimeoutMs ?? env.checkTimeoutMs;
  const maxWindows = o.maxWindows ?? env.maxWindows;
  const windowSeconds = o.windowSeconds ?? env.windowSeconds;
  const apiKey = o.apiKey ?? env.apiKey;
  const backend: AudioBackend =
    customBackend ??
    (backendName === 'ollama'
      ? createOllamaBackend({
          url,
          model,
          keepAlive: o.keepAlive ?? env.keepAlive,
          ...(o.logprobs !== undefined ? { logprobs: o.logprobs } : {}),
          ...(o.assumeAudioCapable ? { assumeAudioCapable: true } : {}),
        })
      : createOpenAIBackend({
          url,
          model,
          ...(apiKey ? { apiKey } : {}),
          ...(o.logprobs !== undefined ? { logprobs: o.logprobs } : {}),
          ...(o.assumeAudioCapable ? { assumeAudioCapable: true } : {}),
        }));
  let capabilityChecked: Promise<void> | null = null;
  const replyJsonSchema = z.toJSONSchema(modelReplySchema) as Record<string, unknown>;
  const mergeJsonSchema = z.toJSONSchema(z.object({ summary: z.string().min(1) })) as Record<string, unknown>;

  const checkCapability = (signal?: AbortSignal): Promise<void> => {
    if (!capabilityChecked) {
      capabilityChecked = backend.checkAudioCapability(withTimeout(signal, checkTimeoutMs)).catch((err) => {
        capabilityChecked = null; // a later call may succeed once the model is pulled
        throw err;
      });
    }
    return capabilityChecked;
  };

  async function analyzeWindow(
    w: PreparedWindow,
    count: number,
    duration: number,
    features: AudioFeatures | null,
    signal?: AbortSignal,
  ): Promise<ChunkResult> {
    const prompt = buildPrompt(w.window, count, duration, features);
    let text = prompt;
    for (let attempt = 1; attempt <= 2; attempt++) {
      throwIfAborted(signal);
      const reply = await backend.chat({
        system: SYSTEM_PROMPT,
        prompt: text,
        wav: w.wav,
        jsonSchema: replyJsonSchema,
        signal: withTimeout(signal, timeoutMs),
      });
      const out = parseModelJson(reply.text, modelReplySchema);
      if (out.ok) {
        const fromLogprobs = reply.logprobs ? confidenceFromLogprobs(reply.logprobs) : null;
        const fromModel = clamp01(out.value.confidence);
        const confidence = fromLogprobs ?? fromModel;
        return {
          index: w.window.index,
          startSeconds: w.window.startSeconds,
          durationSeconds: w.window.durationSeconds,
          summary: out.value.summary,
          tags: normalizeTags(out.value.tags),
          mood: out.value.mood.trim().toLowerCase(),
          language: out.value.language?.trim().toLowerCase() || null,
          confidence,
          confidenceSource: fromLogprobs !== null ? 'logprobs' : fromModel !== null ? 'model' : 'none',
          attempts: attempt,
        };
      }
      if (attempt === 2) {
        throw new QwenAudioError(
          'bad-output',
          `model ${model} gave no valid analysis for window ${w.window.index + 1}/${count} after a stricter retry: ${out.problem}`,
        );
      }
      text = buildStrictPrompt(prompt, out.problem);
    }
    throw new QwenAudioError('bad-output', 'unreachable');
  }

  async function analyzePath(path: string, opts: AnalyzeOptions, started: number): Promise<AnalysisResult> {
    const signal = opts.signal;
    await checkCapability(signal);
    const ffmpeg = await resolveFfmpegPath(o.ffmpegPath ?? env.ffmpegPath);
    const sha256 = opts.audioSha256 ?? (await sha256File(path, signal));
    throwIfAborted(signal);
    const t0 = performance.now();
    const probe = await probeAudio(ffmpeg, path, signal);
    if (!probe.hasAudio) throw new QwenAudioError('decode', `${path} has no audio track`);
    let windows: PreparedWindow[];
    let duration = probe.durationSeconds;
    if (duration === null) {
      // Unknown length (e.g. a raw stream): decode once, then cut windows from memory.
      const pcm = await decodePcm(path, { ffmpeg, ...(signal ? { signal } : {}) });
      duration = pcm.length / QWEN_SAMPLE_RATE;
      windows = planWindows(duration, { windowSeconds, maxWindows }).map((window) => {
        const slice = pcm.slice(
          Math.round(window.startSeconds * QWEN_SAMPLE_RATE),
          Math.round((window.startSeconds + window.durationSeconds) * QWEN_SAMPLE_RATE),
        );
        return { window, pcm: slice, wav: encodeWav(slice, QWEN_SAMPLE_RATE) };
      });
    } else {
      const plan = planWindows(duration, { windowSeconds, maxWindows });
      windows = await prepareWindows(path, plan, {
        ffmpeg,
        concurrency: o.windowConcurrency ?? 2,
        ...(signal ? { signal } : {}),
      });
    }
    windows = windows.filter((w) => w.pcm.length > 0);
    if (windows.length === 0) throw new QwenAudioError('decode', `${path} decoded to no audio samples`);
    const decodeMs = performance.now() - t0;

    const t1 = performance.now();
    let features: AudioFeatures | null = null;
    if (o.features !== false) {
      const acc = new FeatureAccumulator(QWEN_SAMPLE_RATE);
      for (const w of windows) {
        acc.breakSegment();
        acc.push(w.pcm);
      }
      const covered = windows.reduce((a, w) => a + w.pcm.length, 0) / QWEN_SAMPLE_RATE;
      features = acc.finish(duration, covered >= duration - 0.5 ? 'full' : 'windows');
    }
    const featuresMs = performance.now() - t1;

    const t2 = performance.now();
    const chunks: ChunkResult[] = [];
    for (const w of windows) chunks.push(await analyzeWindow(w, windows.length, duration, features, signal));
    const { tags, scores } = mergeTags(chunks);
    const mood = mergeMood(chunks);
    let summary = mergeSummaryDeterministic(chunks, scores);
    if (o.summaryMerge === 'model' && chunks.length > 1) {
      const reply = await backend.chat({
        system: SYSTEM_PROMPT,
        prompt: buildMergePrompt(chunks.map((c) => c.summary)),
        jsonSchema: mergeJsonSchema,
        signal: withTimeout(signal, timeoutMs),
      });
      const merged = parseModelJson(reply.text, z.object({ summary: z.string().trim().min(1) }));
      // A failed merge keeps the deterministic summary: both come from the model's own window summaries.
      if (merged.ok) summary = merged.value.summary;
    }
    const modelMs = performance.now() - t2;
    const result = {
      status: 'ok' as const,
      summary,
      tags,
      mood,
      ...mergeConfidence(chunks, tags, mood),
      language: mergeLanguage(chunks),
      chunks,
      model,
      backend: backend.name,
      promptVersion: PROMPT_VERSION,
      audio: { sha256, durationSeconds: Math.round(duration * 1000) / 1000, windowCount: windows.length },
      features,
      timings: { decodeMs, featuresMs, modelMs, totalMs: performance.now() - started },
    };
    return analysisResultSchema.parse(result);
  }

  return {
    enabled,
    model,
    backend: backend.name,
    promptVersion: PROMPT_VERSION,
    checkCapability,
    async analyze(input, opts = {}) {
      if (!enabled) {
        return {
          status: 'skipped',
          reason:
            'Qwen audio analysis is disabled (set JELLYFIN_AUDIO_QWEN_ENABLE=true or pass enabled: true)',
          model,
          backend: backend.name,
        };
      }
      const started = performance.now();
      throwIfAborted(opts.signal);
      if (typeof input === 'string') return analyzePath(input, opts, started);
      if (!(input instanceof Uint8Array) || input.byteLength === 0) {
        throw new QwenAudioError('invalid-input', 'input must be a file path or non-empty bytes');
      }
      const dir = await mkdtemp(join(tmpdir(), 'pmoves-qwen-audio-'));
      try {
        const file = join(dir, 'input');
        await writeFile(file, input);
        return await analyzePath(file, opts, started);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
