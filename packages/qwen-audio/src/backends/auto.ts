// A backend that first asks the server what it is (detect.ts), then speaks its protocol.
import { createOllamaBackend } from './ollama';
import { createOpenAIBackend } from './openai';
import { detectServer } from './detect';
import type { DetectedServer } from './detect';
import type { AudioBackend, BackendChatReply, BackendChatRequest } from './types';

/** Options for {@link createAutoBackend}: those of both protocols. */
export interface AutoBackendOptions {
  /** The server's base URL (a trailing `/v1` is accepted). */
  url: string;
  /** Model name. */
  model: string;
  /** API key for OpenAI-compatible servers. */
  apiKey?: string;
  /** Ollama `keep_alive`. */
  keepAlive?: string;
  /** Ask for token log-probabilities. */
  logprobs?: boolean;
  /** Skip the audio-capability check. */
  assumeAudioCapable?: boolean;
  /** OpenAI-compatible audio content part. */
  audioContent?: 'input_audio' | 'audio_url';
}

/** An auto backend; `detected` is set once the server has answered. */
export interface AutoBackend extends AudioBackend {
  /** What the server turned out to be, or null before the first call. */
  readonly detected: DetectedServer | null;
}

/** Creates the `auto` backend: detection on the first call (the capability check), memoised on success. */
export function createAutoBackend(opts: AutoBackendOptions): AutoBackend {
  let detected: DetectedServer | null = null;
  let inner: AudioBackend | null = null;
  let pending: Promise<AudioBackend> | null = null;
  const resolveInner = (signal: AbortSignal): Promise<AudioBackend> => {
    if (inner) return Promise.resolve(inner);
    pending ??= detectServer(opts.url, { ...(opts.apiKey ? { apiKey: opts.apiKey } : {}), signal }).then(
      (d) => {
        detected = d;
        const common = {
          model: opts.model,
          ...(opts.logprobs !== undefined ? { logprobs: opts.logprobs } : {}),
          ...(opts.assumeAudioCapable ? { assumeAudioCapable: true } : {}),
        };
        inner =
          d.kind === 'ollama'
            ? createOllamaBackend({
                ...common,
                url: d.root,
                ...(opts.keepAlive ? { keepAlive: opts.keepAlive } : {}),
              })
            : createOpenAIBackend({
                ...common,
                url: `${d.root}/v1`,
                server: d.kind,
                ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
                ...(opts.audioContent ? { audioContent: opts.audioContent } : {}),
              });
        return inner;
      },
      (err: unknown) => {
        pending = null; // the server may come up: ask again next time
        throw err;
      },
    );
    return pending;
  };
  return {
    get name() {
      return inner?.name ?? 'auto';
    },
    get server() {
      return inner?.server;
    },
    get detected() {
      return detected;
    },
    model: opts.model,
    async checkAudioCapability(signal: AbortSignal): Promise<void> {
      await (await resolveInner(signal)).checkAudioCapability(signal);
    },
    async chat(req: BackendChatRequest): Promise<BackendChatReply> {
      return (await resolveInner(req.signal)).chat(req);
    },
  };
}
