import { QwenAudioError } from '../errors';
import type { BackendName } from '../schema';

/** One chat call to a backend. */
export interface BackendChatRequest {
  /** System instruction (omitted for base-model prompts). */
  system?: string;
  /** User text sent with the audio. */
  prompt: string;
  /** 16 kHz mono WAV with a full RIFF header; omitted for text-only calls (summary merge). */
  wav?: Buffer;
  /** JSON Schema the reply must follow (structured output); omitted for plain-text replies (transcripts). */
  jsonSchema?: Record<string, unknown>;
  /** Caller's abort signal (already combined with the per-call timeout). */
  signal: AbortSignal;
}

/** The raw reply of one chat call. */
export interface BackendChatReply {
  /** The assistant message text (may be chatty, fenced or empty). */
  text: string;
  /** Per-token log-probabilities when the backend returned them, else null. */
  logprobs: number[] | null;
}

/** A protocol adapter (Ollama native API or an OpenAI-compatible server). */
export interface AudioBackend {
  /** Protocol name (`auto` until an auto backend has asked the server). */
  readonly name: BackendName | 'auto';
  /** The server, in words (`vLLM or another OpenAI-compatible server at …`), when known. */
  readonly server?: string;
  /** Model id as the server knows it. */
  readonly model: string;
  /**
   * Confirms the model exists and takes audio.
   *
   * @throws `model-not-found` or `no-audio-capability` QwenAudioError
   */
  checkAudioCapability(signal: AbortSignal): Promise<void>;
  /** Sends one chat request; throws QwenAudioError on failure. */
  chat(req: BackendChatRequest): Promise<BackendChatReply>;
}

/** Backends known to serve Qwen2-Audio, named in capability errors. */
export const AUDIO_BACKENDS_HINT =
  "Qwen2-Audio is served with audio by vLLM's OpenAI-compatible server (`vllm serve Qwen/Qwen2-Audio-7B-Instruct`) " +
  "and by llama.cpp's `llama-server` (GGUF plus its audio mmproj); use backend 'openai' with either. " +
  "Ollama passes audio only to models whose /api/show capabilities include 'audio' " +
  '(a Qwen2-Audio GGUF can load in Ollama and still ignore the audio: ollama/ollama#11798).';

/** Fetch that also aborts when `signal` fires (the `ollama` client takes no per-request signal). */
export function fetchWithSignal(signal: AbortSignal): typeof fetch {
  return (input, init) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The connection-level reason of a failed fetch (`connect ECONNREFUSED …`), or null when it was not one. */
export function connectionFailure(err: unknown): string | null {
  for (
    let e = err as { cause?: unknown; code?: unknown; message?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return String(e.message ?? e.code);
    if (e instanceof TypeError && e.message === 'fetch failed' && !e.cause) return e.message;
    e = e.cause as typeof e;
  }
  return null;
}

/** `backend` error for a server that cannot be reached, naming its URL and the variable that sets it. */
export function unreachableError(url: string, detail: string, cause: unknown): QwenAudioError {
  return new QwenAudioError(
    'backend',
    `cannot reach the model server at ${url} (set by QWEN_AUDIO_URL or the url option): ${detail}`,
    { cause },
  );
}

/** `timeout` when the signal fired for its timeout, else `aborted` (the caller's signal). */
export function abortError(signal: AbortSignal, what: string, cause: unknown): QwenAudioError {
  const timedOut = (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
  return new QwenAudioError(
    timedOut ? 'timeout' : 'aborted',
    `${what} ${timedOut ? 'timed out' : 'was aborted'}`,
    {
      cause,
    },
  );
}
