// Loopback HTTP servers speaking the documented wire formats of Ollama, OpenAI-compatible servers,
// Jellyfin and PostgREST. Canned model replies live only in tests.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body,
        json,
      };
      requests.push(rec);
      Promise.resolve(handler(rec, res)).catch((err: Error) => {
        if (!res.headersSent) sendJson(res, 599, { error: `test handler threw: ${err.message}` });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a canned chat reply looks like: text, optional logprobs, or an HTTP error/delay. */
export interface CannedReply {
  content?: string;
  logprobs?: number[];
  status?: number;
  error?: string;
  delayMs?: number;
}

/**
 * What a real Ollama reports in /api/show `capabilities` for upstream PMOVES's default model,
 * `hf.co/second-state/Qwen2-Audio-7B-Instruct-GGUF:Q4_K_M`: it loads and chats, and Ollama has no
 * audio support for it (ollama/ollama#11798), so no `audio`.
 */
export const OLLAMA_QWEN2_AUDIO_GGUF = 'hf.co/second-state/Qwen2-Audio-7B-Instruct-GGUF:Q4_K_M';
export const OLLAMA_QWEN2_AUDIO_GGUF_CAPABILITIES = ['completion'];
/**
 * A model Ollama does pass audio to (in the user message's `images`) and reports `audio` for; the
 * Ollama protocol tests use it, never the Qwen2-Audio GGUF.
 */
export const OLLAMA_AUDIO_MODEL = 'gemma4:e4b';

/** The WAV a chat request carries: Ollama `images[0]`, OpenAI `input_audio.data` or an `audio_url` data URL. */
export function audioOf(body: Record<string, unknown>): Buffer | null {
  const messages = (body.messages ?? []) as Array<{ content?: unknown; images?: string[] }>;
  for (const m of messages) {
    if (m.images?.[0]) return Buffer.from(m.images[0], 'base64');
    if (!Array.isArray(m.content)) continue;
    for (const part of m.content as Array<Record<string, unknown>>) {
      const ia = part.input_audio as { data?: string } | undefined;
      if (part.type === 'input_audio' && ia?.data) return Buffer.from(ia.data, 'base64');
      const au = part.audio_url as { url?: string } | undefined;
      const m64 =
        part.type === 'audio_url' && au?.url ? /^data:audio\/[\w.+-]+;base64,(.*)$/.exec(au.url) : null;
      if (m64) return Buffer.from(m64[1]!, 'base64');
    }
  }
  return null;
}

/** The text of the last user message of a chat request. */
export function promptOf(body: Record<string, unknown>): string {
  const messages = (body.messages ?? []) as Array<{ role?: string; content?: unknown }>;
  const user = [...messages].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  if (typeof user.content === 'string') return user.content;
  return ((user.content ?? []) as Array<{ type?: string; text?: string }>)
    .filter((p) => p.type === 'text')
    .map((p) => p.text ?? '')
    .join('\n');
}

export interface FakeOllamaOptions {
  /** Models the server has, with their /api/show capabilities. */
  models: Record<string, string[]>;
  /** Reply for the n-th /api/chat call (0-based), given the request and the audio it carried. */
  chat: (
    n: number,
    body: Record<string, unknown>,
    audio: Buffer | null,
  ) => CannedReply | Promise<CannedReply>;
}

/**
 * Stand-in for Ollama's native API: /api/version, /api/tags, /api/show and /api/chat (stream false),
 * errors as {"error": "..."}; also its OpenAI-compatible /v1/models, as a real Ollama serves it.
 */
export function fakeOllama(opts: FakeOllamaOptions): Promise<TestServer> {
  let n = 0;
  return startServer(async (req, res) => {
    const body = (req.json ?? {}) as Record<string, unknown>;
    const model = String(body.model ?? '');
    if (req.method === 'GET' && req.path === '/api/version') return sendJson(res, 200, { version: '0.12.6' });
    if (req.method === 'GET' && req.path === '/api/tags') {
      return sendJson(res, 200, {
        models: Object.keys(opts.models).map((name) => ({ name, model: name, size: 1, digest: 'sha256:0' })),
      });
    }
    if (req.method === 'GET' && req.path === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: Object.keys(opts.models).map((id) => ({
          id,
          object: 'model',
          created: 1700000000,
          owned_by: 'library',
        })),
      });
    }
    if (req.method === 'POST' && req.path === '/api/show') {
      const caps = opts.models[model];
      if (!caps) return sendJson(res, 404, { error: `model '${model}' not found` });
      return sendJson(res, 200, {
        modelfile: '# test',
        parameters: '',
        template: '{{ .Prompt }}',
        details: {
          parent_model: '',
          format: 'gguf',
          family: 'qwen2',
          families: ['qwen2'],
          parameter_size: '8.4B',
          quantization_level: 'Q4_K_M',
        },
        model_info: { 'general.architecture': 'qwen2' },
        capabilities: caps,
        modified_at: '2025-01-01T00:00:00Z',
      });
    }
    if (req.method === 'POST' && req.path === '/api/chat') {
      if (!opts.models[model])
        return sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` });
      const reply = await opts.chat(n++, body, audioOf(body));
      if (reply.delayMs) await sleep(reply.delayMs);
      if (reply.status && reply.status >= 400)
        return sendJson(res, reply.status, { error: reply.error ?? 'boom' });
      return sendJson(res, 200, {
        model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: reply.content ?? '' },
        done: true,
        done_reason: 'stop',
        total_duration: 1000,
        load_duration: 10,
        prompt_eval_count: 10,
        prompt_eval_duration: 10,
        eval_count: 5,
        eval_duration: 10,
        ...(reply.logprobs
          ? { logprobs: reply.logprobs.map((lp, i) => ({ token: `t${i}`, logprob: lp, bytes: [116] })) }
          : {}),
      });
    }
    sendJson(res, 404, { error: '404 page not found' });
  });
}

export interface FakeOpenAIOptions {
  /** Served model ids, optionally with a capabilities list in the /v1/models entry. */
  models: Array<{ id: string; capabilities?: string[] }>;
  /** Reply for the n-th chat call (0-based), given the request and the audio it carried. */
  chat: (
    n: number,
    body: Record<string, unknown>,
    audio: Buffer | null,
  ) => CannedReply | Promise<CannedReply>;
  /**
   * Which server this stands in for: `vllm` (FastAPI: `/version`, 404 as {"detail": …}, audio as
   * `input_audio` or `audio_url`) or `llama-server` (`/props` with `modalities`, 404 as
   * {"error": {…}}, audio only as `input_audio` wav/mp3). Default `vllm`, or `llama-server` when
   * `modalities` is given.
   */
  flavour?: 'vllm' | 'llama-server';
  /** llama-server's `GET /props` modalities (which projector is loaded). */
  modalities?: { vision: boolean; audio: boolean };
  /** Require this bearer key on /v1 routes (vLLM `--api-key`). */
  apiKey?: string;
}

/** The error body each server kind sends. */
function openAIError(flavour: 'vllm' | 'llama-server', status: number, message: string, type: string) {
  return flavour === 'vllm'
    ? { error: { message, type, param: null, code: status } }
    : {
        error: { code: status, message, type: type === 'NotFoundError' ? 'not_found_error' : 'server_error' },
      };
}

/**
 * Stand-in for an OpenAI-compatible server: vLLM (`vllm serve …`) or llama.cpp's llama-server
 * (see `flavour`), with /v1/models and /v1/chat/completions as each documents them.
 */
export function fakeOpenAI(opts: FakeOpenAIOptions): Promise<TestServer> {
  let n = 0;
  const flavour = opts.flavour ?? (opts.modalities ? 'llama-server' : 'vllm');
  return startServer(async (req, res) => {
    if (opts.apiKey && req.path.startsWith('/v1/') && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendJson(res, 401, { error: 'Unauthorized' });
    }
    if (req.method === 'GET' && req.path === '/v1/models') {
      const data = opts.models.map((m) => ({
        id: m.id,
        object: 'model',
        created: 1700000000,
        owned_by: flavour === 'vllm' ? 'vllm' : 'llamacpp',
        ...(flavour === 'vllm'
          ? { root: m.id, parent: null, max_model_len: 8192 }
          : { meta: { n_ctx_train: 32768 } }),
        ...(m.capabilities ? { capabilities: m.capabilities } : {}),
      }));
      return sendJson(res, 200, {
        object: 'list',
        data,
        ...(flavour === 'llama-server' ? { models: data.map((d) => ({ name: d.id, model: d.id })) } : {}),
      });
    }
    if (flavour === 'vllm' && req.method === 'GET' && req.path === '/version')
      return sendJson(res, 200, { version: '0.10.1' });
    if (req.method === 'GET' && req.path === '/health') return void res.writeHead(200).end();
    if (flavour === 'llama-server' && req.method === 'GET' && req.path === '/props') {
      return sendJson(res, 200, {
        default_generation_settings: { n_ctx: 8192, params: { temperature: 0.8 } },
        total_slots: 1,
        model_path: '/models/Qwen2-Audio-7B-Instruct-Q4_K_M.gguf',
        chat_template: '{% for message in messages %}…{% endfor %}',
        modalities: opts.modalities ?? { vision: false, audio: false },
        build_info: 'b6000-stand-in',
      });
    }
    if (req.method === 'POST' && req.path === '/v1/chat/completions') {
      const body = (req.json ?? {}) as Record<string, unknown>;
      const model = String(body.model ?? '');
      const parts = ((body.messages ?? []) as Array<{ content?: unknown }>).flatMap((m) =>
        Array.isArray(m.content)
          ? (m.content as Array<{ type?: string; input_audio?: { format?: string } }>)
          : [],
      );
      if (flavour === 'llama-server') {
        const bad = parts.find(
          (p) =>
            p.type !== 'text' &&
            !(p.type === 'input_audio' && ['wav', 'mp3'].includes(p.input_audio?.format ?? '')),
        );
        if (bad)
          return sendJson(
            res,
            400,
            openAIError(flavour, 400, `unsupported content[].type: ${bad.type}`, 'invalid_request_error'),
          );
      }
      if (flavour === 'vllm' && !opts.models.some((m) => m.id === model)) {
        return sendJson(
          res,
          404,
          openAIError(flavour, 404, `The model \`${model}\` does not exist.`, 'NotFoundError'),
        );
      }
      const reply = await opts.chat(n++, body, audioOf(body));
      if (reply.delayMs) await sleep(reply.delayMs);
      if (reply.status && reply.status >= 400) {
        return sendJson(
          res,
          reply.status,
          openAIError(flavour, reply.status, reply.error ?? 'boom', 'InternalServerError'),
        );
      }
      return sendJson(res, 200, {
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: 1700000000,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content ?? '' },
            logprobs: reply.logprobs
              ? {
                  content: reply.logprobs.map((lp, i) => ({
                    token: `t${i}`,
                    logprob: lp,
                    bytes: [116],
                    top_logprobs: [],
                  })),
                }
              : null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
    }
    if (flavour === 'vllm') return sendJson(res, 404, { detail: 'Not Found' });
    sendJson(res, 404, openAIError(flavour, 404, 'File Not Found', 'NotFoundError'));
  });
}

/** A valid analysis reply as a model might send it. */
export function replyJson(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    summary: 'A steady electronic tone with no vocals.',
    tags: ['Electronic', ' tone ', 'electronic', 'test-signal'],
    mood: 'Calm',
    confidence: 0.8,
    language: null,
    ...over,
  });
}

/** The parts of an Ollama /api/chat request body the tests inspect. */
export interface OllamaChatBody {
  model: string;
  stream: boolean;
  think: boolean;
  keep_alive: string;
  logprobs: boolean;
  options: { temperature: number };
  format: { type: string; required: string[] };
  messages: Array<{ role: string; content: string; images?: string[] }>;
}

/** The parts of an OpenAI /v1/chat/completions request body the tests inspect. */
export interface OpenAIChatBody {
  model: string;
  response_format?: { json_schema: { schema: { properties: Record<string, unknown> } } };
  messages: Array<{
    role: string;
    content:
      | string
      | Array<{
          type: string;
          text?: string;
          input_audio?: { data: string; format: string };
          audio_url?: { url: string };
        }>;
  }>;
}
