import { Ollama } from 'ollama';
import { QwenAudioError } from '../errors';
import {
  AUDIO_BACKENDS_HINT,
  abortError,
  connectionFailure,
  fetchWithSignal,
  unreachableError,
} from './types';
import type { AudioBackend, BackendChatReply, BackendChatRequest } from './types';

/** Options for {@link createOllamaBackend}. */
export interface OllamaBackendOptions {
  /** Ollama base URL, e.g. `http://127.0.0.1:11434`. */
  url: string;
  /** Model name as pulled, e.g. `hf.co/second-state/Qwen2-Audio-7B-Instruct-GGUF:Q4_K_M`. */
  model: string;
  /** `keep_alive` sent with each chat (e.g. `5m`, `-1`). */
  keepAlive?: string;
  /** Ask for token log-probabilities (Ollama ≥ 0.12.11; older servers ignore the field). Default true. */
  logprobs?: boolean;
  /** Skip the `/api/show` audio-capability check (you vouch that the model hears audio). */
  assumeAudioCapable?: boolean;
  /** Extra request headers (e.g. a reverse proxy's auth). */
  headers?: Record<string, string>;
}

function isNotFound(err: unknown): boolean {
  const e = err as { status_code?: number; error?: string; message?: string };
  return e?.status_code === 404 || /not found/i.test(String(e?.error ?? e?.message ?? ''));
}

/** Maps an `ollama` client error to a QwenAudioError. */
export function mapOllamaError(
  err: unknown,
  model: string,
  signal: AbortSignal,
  what: string,
  url: string,
): QwenAudioError {
  if (err instanceof QwenAudioError) return err;
  if (signal.aborted) return abortError(signal, `Ollama ${what} for model ${model}`, err);
  const down = connectionFailure(err);
  if (down) return unreachableError(url, `Ollama ${what}: ${down}`, err);
  const e = err as { status_code?: number; message?: string };
  if (isNotFound(err) && (e.status_code === 404 || /model/i.test(e.message ?? ''))) {
    return new QwenAudioError(
      'model-not-found',
      `Ollama does not have model "${model}"; pull it with \`ollama pull ${model}\``,
      { cause: err },
    );
  }
  const status = e.status_code ? ` (HTTP ${e.status_code})` : '';
  return new QwenAudioError('backend', `Ollama ${what} failed${status}: ${e.message ?? String(err)}`, {
    cause: err,
  });
}

/**
 * Backend for Ollama's native API through the `ollama` client: audio goes in the user message's
 * `images` (Ollama's carrier for media), structured output via `format`, `think: false`,
 * temperature 0 and `keep_alive`.
 */
export function createOllamaBackend(opts: OllamaBackendOptions): AudioBackend {
  const client = (signal: AbortSignal) =>
    new Ollama({
      host: opts.url,
      fetch: fetchWithSignal(signal),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
  return {
    name: 'ollama',
    model: opts.model,
    server: `Ollama at ${opts.url}`,
    async checkAudioCapability(signal) {
      if (opts.assumeAudioCapable) return;
      let capabilities: string[];
      try {
        const show = await client(signal).show({ model: opts.model });
        capabilities = Array.isArray(show.capabilities) ? show.capabilities : [];
      } catch (err) {
        throw mapOllamaError(err, opts.model, signal, '/api/show', opts.url);
      }
      if (!capabilities.includes('audio')) {
        throw new QwenAudioError(
          'no-audio-capability',
          `Ollama reports capabilities [${capabilities.join(', ')}] for "${opts.model}", without "audio": ` +
            `it would not hear the audio and would describe nothing. ${AUDIO_BACKENDS_HINT}`,
        );
      }
    },
    async chat(req: BackendChatRequest): Promise<BackendChatReply> {
      try {
        const res = await client(req.signal).chat({
          model: opts.model,
          stream: false,
          think: false,
          ...(req.jsonSchema ? { format: req.jsonSchema } : {}),
          keep_alive: opts.keepAlive ?? '5m',
          options: { temperature: 0 },
          ...(opts.logprobs === false ? {} : { logprobs: true }),
          messages: [
            ...(req.system ? [{ role: 'system', content: req.system }] : []),
            { role: 'user', content: req.prompt, ...(req.wav ? { images: [new Uint8Array(req.wav)] } : {}) },
          ],
        });
        const lp = Array.isArray(res.logprobs)
          ? res.logprobs.map((t) => t.logprob).filter((x) => Number.isFinite(x))
          : [];
        return { text: res.message?.content ?? '', logprobs: lp.length ? lp : null };
      } catch (err) {
        throw mapOllamaError(err, opts.model, req.signal, '/api/chat', opts.url);
      }
    },
  };
}
