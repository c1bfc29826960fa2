import type { BackendName } from '../schema.js';

/** One chat call to a backend. */
export interface BackendChatRequest {
  /** System instruction. */
  system: string;
  /** User text sent with the audio. */
  prompt: string;
  /** 16 kHz mono WAV with a full RIFF header; omitted for text-only calls (summary merge). */
  wav?: Buffer;
  /** JSON Schema the reply must follow (structured output). */
  jsonSchema: Record<string, unknown>;
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
  /** Protocol name. */
  readonly name: BackendName;
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
