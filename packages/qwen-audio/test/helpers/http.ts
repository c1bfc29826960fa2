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

export interface FakeOllamaOptions {
  /** Models the server has, with their /api/show capabilities. */
  models: Record<string, string[]>;
  /** Reply for the n-th /api/chat call (0-based). */
  chat: (n: number, body: Record<string, unknown>) => CannedReply;
}

/** Ollama's native API: /api/show and /api/chat (stream false), errors as {"error": "..."}. */
export function fakeOllama(opts: FakeOllamaOptions): Promise<TestServer> {
  let n = 0;
  return startServer(async (req, res) => {
    const body = (req.json ?? {}) as Record<string, unknown>;
    const model = String(body.model ?? '');
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
      const reply = opts.chat(n++, body);
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
  chat: (n: number, body: Record<string, unknown>) => CannedReply;
  /** When set, answer llama-server's GET /props with these modalities. */
  modalities?: { vision: boolean; audio: boolean };
}

/** OpenAI-compatible server (vLLM flavour): /v1/models and /v1/chat/completions; errors as {"error": {message, type, param, code}}. */
export function fakeOpenAI(opts: FakeOpenAIOptions): Promise<TestServer> {
  let n = 0;
  return startServer(async (req, res) => {
    if (req.method === 'GET' && req.path === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: opts.models.map((m) => ({
          id: m.id,
          object: 'model',
          created: 1700000000,
          owned_by: 'vllm',
          root: m.id,
          ...(m.capabilities ? { capabilities: m.capabilities } : {}),
        })),
      });
    }
    if (req.method === 'GET' && req.path === '/props' && opts.modalities) {
      return sendJson(res, 200, {
        default_generation_settings: {},
        total_slots: 1,
        model_path: '/models/m.gguf',
        modalities: opts.modalities,
      });
    }
    if (req.method === 'POST' && req.path === '/v1/chat/completions') {
      const body = (req.json ?? {}) as Record<string, unknown>;
      const model = String(body.model ?? '');
      if (!opts.models.some((m) => m.id === model)) {
        return sendJson(res, 404, {
          error: {
            message: `The model \`${model}\` does not exist.`,
            type: 'NotFoundError',
            param: null,
            code: 404,
          },
        });
      }
      const reply = opts.chat(n++, body);
      if (reply.delayMs) await sleep(reply.delayMs);
      if (reply.status && reply.status >= 400) {
        return sendJson(res, reply.status, {
          error: {
            message: reply.error ?? 'boom',
            type: 'InternalServerError',
            param: null,
            code: reply.status,
          },
        });
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
    sendJson(res, 404, { error: { message: 'Not Found', type: 'NotFoundError', param: null, code: 404 } });
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
  response_format: { json_schema: { schema: { properties: Record<string, unknown> } } };
  messages: Array<{
    role: string;
    content: string | Array<{ type: string; text?: string; input_audio?: { data: string; format: string } }>;
  }>;
}
