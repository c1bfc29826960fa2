// `QWEN_AUDIO_BACKEND=auto`: ask the server at QWEN_AUDIO_URL what it is, in this order (Ollama and
// llama-server also serve /v1/models, so the specific questions come first):
//   GET /api/version  → `{ "version": "…" }`                         Ollama (native protocol)
//   GET /props        → `{ "default_generation_settings": …, … }`     llama.cpp's llama-server
//   GET /v1/models    → `{ "object": "list", "data": [ … ] }`         any other OpenAI-compatible server (vLLM)
import { QwenAudioError } from '../errors';
import { abortError, connectionFailure, fetchWithSignal, unreachableError } from './types';

/** What kind of server answered. */
export type ServerKind = 'ollama' | 'llama-server' | 'openai-compatible';

/** The answer of {@link detectServer}. */
export interface DetectedServer {
  /** The kind of server. */
  kind: ServerKind;
  /** Its base URL without a trailing `/v1`. */
  root: string;
  /** Each probe and what it got, in order (for logs). */
  tried: string[];
}

/** The base URL without trailing slashes and without a trailing `/v1`. */
export function serverRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

interface Probe {
  path: string;
  kind: ServerKind;
  /** Whether a 200 reply's JSON is this kind of server's. */
  matches: (body: unknown) => boolean;
  /** What a matching reply looks like, for the error message. */
  expected: string;
}

const PROBES: readonly Probe[] = [
  {
    path: '/api/version',
    kind: 'ollama',
    matches: (b) => isObject(b) && typeof b.version === 'string',
    expected: 'Ollama\'s {"version": …}',
  },
  {
    path: '/props',
    kind: 'llama-server',
    matches: (b) => isObject(b) && (isObject(b.default_generation_settings) || isObject(b.modalities)),
    expected: "llama-server's {default_generation_settings, modalities, …}",
  },
  {
    path: '/v1/models',
    kind: 'openai-compatible',
    matches: (b) => isObject(b) && Array.isArray(b.data),
    expected: 'an OpenAI model list {"data": [ … ]}',
  },
];

/**
 * Asks the server what it is (see the file comment). `signal` bounds all probes together.
 *
 * @throws {@link QwenAudioError} `backend`: unreachable (naming the URL and `QWEN_AUDIO_URL`), asking
 *   for an API key, or none of the three, listing each probe and its answer.
 */
export async function detectServer(
  url: string,
  opts: { apiKey?: string; signal: AbortSignal },
): Promise<DetectedServer> {
  const root = serverRoot(url);
  const get = fetchWithSignal(opts.signal);
  const tried: string[] = [];
  for (const probe of PROBES) {
    const target = `${root}${probe.path}`;
    let res: Response;
    try {
      res = await get(target, {
        headers: {
          accept: 'application/json',
          ...(opts.apiKey && probe.kind === 'openai-compatible'
            ? { authorization: `Bearer ${opts.apiKey}` }
            : {}),
        },
      });
    } catch (err) {
      if (opts.signal.aborted)
        throw abortError(opts.signal, `asking ${root} what it is (GET ${probe.path})`, err);
      const down = connectionFailure(err) ?? (err as Error).message;
      throw unreachableError(root, `GET ${probe.path}: ${down}`, err);
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (res.ok && probe.matches(body))
      return { kind: probe.kind, root, tried: [...tried, `GET ${target} → ${probe.kind}`] };
    if (probe.kind === 'openai-compatible' && (res.status === 401 || res.status === 403)) {
      throw new QwenAudioError(
        'backend',
        `the OpenAI-compatible server at ${root} answered GET /v1/models with HTTP ${res.status}: ` +
          (opts.apiKey ? 'QWEN_AUDIO_API_KEY was refused' : 'it wants an API key; set QWEN_AUDIO_API_KEY'),
      );
    }
    tried.push(
      `GET ${target} → ${res.ok ? `HTTP ${res.status}, not ${probe.expected}` : `HTTP ${res.status}`}`,
    );
  }
  throw new QwenAudioError(
    'backend',
    `QWEN_AUDIO_BACKEND=auto: the server at ${root} is not Ollama, llama-server or an OpenAI-compatible ` +
      `server (tried ${tried.join('; ')}). Check QWEN_AUDIO_URL, or set QWEN_AUDIO_BACKEND to ollama or openai.`,
  );
}
