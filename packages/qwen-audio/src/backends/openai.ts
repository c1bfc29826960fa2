import OpenAI from 'openai';
import { QwenAudioError } from '../errors';
import { AUDIO_BACKENDS_HINT, abortError, connectionFailure, unreachableError } from './types';
import type { AudioBackend, BackendChatReply, BackendChatRequest } from './types';

/** Options for {@link createOpenAIBackend}. */
export interface OpenAIBackendOptions {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:8000/v1` (vLLM) or `http://127.0.0.1:11434/v1` (Ollama). */
  url: string;
  /** Model id as served (`/v1/models`), e.g. `Qwen/Qwen2-Audio-7B-Instruct`. */
  model: string;
  /** API key if the server requires one; otherwise a placeholder is sent. */
  apiKey?: string;
  /** Send `response_format: json_schema` (vLLM, llama-server and Ollama support it). Default true. */
  structuredOutput?: boolean;
  /** Ask for token log-probabilities. Default true. */
  logprobs?: boolean;
  /**
   * Skip the audio check on the model list. The check passes when the model's `/v1/models` entry lists
   * an `audio` capability or its id names an audio model (audio, omni, voxtral, ultravox).
   */
  assumeAudioCapable?: boolean;
  /**
   * What the server is, when already known (`auto` found out): `llama-server` decides audio by its
   * `GET /props` `modalities.audio`; `openai-compatible` (vLLM and others) by the model list. Unknown:
   * `/props` is tried, then the model list.
   */
  server?: 'llama-server' | 'openai-compatible';
  /**
   * The content part audio travels in: `input_audio` (`{ data, format: 'wav' }`; vLLM and
   * llama-server) or `audio_url` (`{ url: 'data:audio/wav;base64,…' }`; vLLM). Default `input_audio`.
   */
  audioContent?: 'input_audio' | 'audio_url';
}

const AUDIO_MODEL_ID = /audio|omni|voxtral|ultravox/i;

/** `modalities` from llama-server's `GET /props` (sibling of `/v1`), or null when the server has none. */
async function llamaServerModalities(
  baseUrl: string,
  signal: AbortSignal,
): Promise<{ audio?: boolean } | null> {
  const url = new URL(baseUrl.replace(/\/v1\/?$/, '') + '/props');
  try {
    const res = await fetch(url, { signal });
    if (!res.ok) return null;
    const body = (await res.json()) as { modalities?: { audio?: unknown } };
    const audio = body?.modalities?.audio;
    return typeof audio === 'boolean' ? { audio } : null;
  } catch {
    return null; // not llama-server (vLLM has no /props), or unreachable: fall back to the model id
  }
}

function mapOpenAIError(
  err: unknown,
  model: string,
  signal: AbortSignal,
  what: string,
  url: string,
): QwenAudioError {
  if (err instanceof QwenAudioError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new QwenAudioError('timeout', `${what} for model ${model} timed out`, { cause: err });
  }
  if (signal.aborted || err instanceof OpenAI.APIUserAbortError)
    return abortError(signal, `${what} for model ${model}`, err);
  if (err instanceof OpenAI.APIConnectionError) {
    return unreachableError(url, `${what}: ${connectionFailure(err) ?? err.message}`, err);
  }
  if (err instanceof OpenAI.NotFoundError) {
    return new QwenAudioError(
      'model-not-found',
      `the server has no model "${model}" (HTTP 404): start vLLM with \`vllm serve ${model}\`, ` +
        `or for Ollama's /v1 pull it with \`ollama pull ${model}\``,
      { cause: err },
    );
  }
  if (err instanceof OpenAI.APIError) {
    return new QwenAudioError(
      'backend',
      `${what} failed (HTTP ${err.status ?? 'no status'}): ${err.message}`,
      {
        cause: err,
      },
    );
  }
  return new QwenAudioError('backend', `${what} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

function audioPart(wav: Buffer, kind: 'input_audio' | 'audio_url'): OpenAI.Chat.ChatCompletionContentPart {
  const data = wav.toString('base64');
  if (kind === 'input_audio') return { type: 'input_audio', input_audio: { data, format: 'wav' } };
  // vLLM's own extension part; the openai types do not know it.
  return {
    type: 'audio_url',
    audio_url: { url: `data:audio/wav;base64,${data}` },
  } as unknown as OpenAI.Chat.ChatCompletionContentPart;
}

/**
 * Backend for OpenAI-compatible servers (vLLM, llama.cpp `llama-server`, Ollama `/v1`) through the
 * `openai` client: the WAV goes as an `input_audio` content part (base64, format `wav`), or as vLLM's
 * `audio_url` data URL.
 */
export function createOpenAIBackend(opts: OpenAIBackendOptions): AudioBackend {
  // Retries are the adapter's business (one stricter retry on bad output), not the client's.
  const client = new OpenAI({ baseURL: opts.url, apiKey: opts.apiKey ?? 'not-needed', maxRetries: 0 });
  const server =
    opts.server === 'llama-server'
      ? `llama-server at ${opts.url}`
      : `${opts.server === 'openai-compatible' ? 'vLLM or another ' : 'an '}OpenAI-compatible server at ${opts.url}`;
  return {
    name: 'openai',
    model: opts.model,
    server,
    async checkAudioCapability(signal) {
      let entries: Array<{ id: string; capabilities?: unknown }>;
      try {
        const page = await client.models.list({ signal });
        entries = page.data as Array<{ id: string; capabilities?: unknown }>;
      } catch (err) {
        throw mapOpenAIError(err, opts.model, signal, 'GET /v1/models', opts.url);
      }
      const entry = entries.find((m) => m.id === opts.model);
      if (!entry) {
        throw new QwenAudioError(
          'model-not-found',
          `the server at ${opts.url} does not serve "${opts.model}" (it serves: ${entries.map((m) => m.id).join(', ') || 'nothing'}); ` +
            `start vLLM with \`vllm serve ${opts.model}\`, or for Ollama's /v1 run \`ollama pull ${opts.model}\``,
        );
      }
      if (opts.assumeAudioCapable) return;
      const caps = Array.isArray(entry.capabilities) ? entry.capabilities.map(String) : [];
      if (caps.includes('audio')) return;
      // llama.cpp's llama-server reports what its loaded projector accepts in /props.
      const modalities =
        opts.server === 'openai-compatible' ? null : await llamaServerModalities(opts.url, signal);
      if (modalities?.audio === false) {
        throw new QwenAudioError(
          'no-audio-capability',
          `llama-server at ${opts.url} reports modalities.audio = false for "${opts.model}" (start it with the ` +
            `model's audio --mmproj); it would ignore the audio. ${AUDIO_BACKENDS_HINT}`,
        );
      }
      if (modalities?.audio === true || AUDIO_MODEL_ID.test(entry.id)) return;
      throw new QwenAudioError(
        'no-audio-capability',
        `model "${opts.model}" does not look audio-capable (no "audio" capability in /v1/models, no audio ` +
          `modality in /props, not an audio model id); refusing to send audio it would ignore. ${AUDIO_BACKENDS_HINT} ` +
          'If you know it takes audio, set assumeAudioCapable.',
      );
    },
    async chat(req: BackendChatRequest): Promise<BackendChatReply> {
      const content: OpenAI.Chat.ChatCompletionContentPart[] = [{ type: 'text', text: req.prompt }];
      if (req.wav) content.push(audioPart(req.wav, opts.audioContent ?? 'input_audio'));
      try {
        const res = await client.chat.completions.create(
          {
            model: opts.model,
            temperature: 0,
            messages: [
              ...(req.system ? [{ role: 'system' as const, content: req.system }] : []),
              { role: 'user', content },
            ],
            ...(opts.structuredOutput === false || !req.jsonSchema
              ? {}
              : {
                  response_format: {
                    type: 'json_schema' as const,
                    json_schema: { name: 'qwen_audio_analysis', schema: req.jsonSchema },
                  },
                }),
            ...(opts.logprobs === false ? {} : { logprobs: true }),
          },
          { signal: req.signal },
        );
        const choice = res.choices?.[0];
        const lp = (choice?.logprobs?.content ?? []).map((t) => t.logprob).filter((x) => Number.isFinite(x));
        return { text: choice?.message?.content ?? '', logprobs: lp.length ? lp : null };
      } catch (err) {
        throw mapOpenAIError(err, opts.model, req.signal, 'POST /v1/chat/completions', opts.url);
      }
    },
  };
}
