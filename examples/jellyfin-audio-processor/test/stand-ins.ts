// Loopback stand-ins for the services that cannot run here, each speaking its documented wire format:
// a vLLM-style OpenAI-compatible model server (driven by qwen-audio through the real `openai` client)
// and a Jellyfin server (`/Items`, `/Items/{id}/Download`, driven by the shared Jellyfin client).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
}

/** One chat completion the model stand-in received. */
export interface ChatRequest {
  /** The bearer token (each replica in the tests has its own, to tell them apart). */
  apiKey: string;
  /** Whether the request carried an `input_audio` WAV part. */
  hasAudio: boolean;
  /** A transcription call (qwen-audio sends no `response_format`), not an analysis call. */
  transcription: boolean;
  /** When it arrived (ms epoch). */
  at: number;
  /** Whether the stand-in is holding it unanswered. */
  held: boolean;
}

/** Options of {@link startModelStandIn}. */
export interface ModelStandInOptions {
  /** Model id listed by `/v1/models`. */
  model: string;
  /** Answer each chat after this long (a slow analysis). */
  delayMs?: number;
  /** Return true to never answer this request (the client is about to be killed). */
  hold?: (req: ChatRequest) => boolean;
  /** What transcription calls are answered (default `Hello from the stand-in.`). */
  words?: string;
}

/**
 * A stand-in for a vLLM OpenAI-compatible server: `GET /v1/models`, no `/props` (404, as vLLM), and
 * `POST /v1/chat/completions` answering an analysis call (`response_format` set) with a valid analysis as
 * JSON text, and a transcription call with fixed words, both with token log-probabilities. Its replies are
 * canned: they say nothing about the audio.
 */
export async function startModelStandIn(opts: ModelStandInOptions) {
  const chats: ChatRequest[] = [];
  let modelListings = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const text = await body(req);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      modelListings++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: opts.model, object: 'model', created: 1_700_000_000, owned_by: 'vllm' }],
        }),
      );
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const json = JSON.parse(text) as {
        model: string;
        messages: Array<{ content: string | Array<{ type: string }> }>;
        response_format?: unknown;
      };
      const parts = json.messages.at(-1)?.content;
      const chat: ChatRequest = {
        apiKey: (req.headers.authorization ?? '').replace(/^Bearer /, ''),
        hasAudio: Array.isArray(parts) && parts.some((p) => p.type === 'input_audio'),
        transcription: json.response_format === undefined,
        at: Date.now(),
        held: false,
      };
      chats.push(chat);
      if (json.model !== opts.model) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'error', message: `model ${json.model} not found`, code: 404 }));
        return;
      }
      if (opts.hold?.(chat)) {
        chat.held = true;
        return; // never answered; the connection is closed when the stand-in stops
      }
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 0));
      const content = chat.transcription
        ? (opts.words ?? 'Hello from the stand-in.')
        : JSON.stringify({
            summary: 'A steady sine tone with no voice.',
            tags: ['tone', 'Test Signal'],
            mood: 'Neutral',
            confidence: 0.7,
            language: null,
          });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${chats.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: opts.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content },
              logprobs: {
                content: [
                  { token: '{', logprob: Math.log(0.9), bytes: [123], top_logprobs: [] },
                  { token: '}', logprob: Math.log(0.8), bytes: [125], top_logprobs: [] },
                ],
              },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 100, completion_tokens: 30, total_tokens: 130 },
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
  });
  const url = await listen(server);
  return {
    /** Base URL with `/v1`, as `QWEN_AUDIO_URL` takes it. */
    url: `${url}/v1`,
    chats,
    modelListings: () => modelListings,
    close: closer(server),
  };
}

/** An audio item the Jellyfin stand-in lists and serves. */
export interface StandInItem {
  /** Jellyfin item id. */
  Id: string;
  /** Display name. */
  Name: string;
  /** File bytes served by `/Items/{id}/Download`; null → the download answers HTTP 500. */
  bytes: Buffer | null;
  /** `Path` as Jellyfin reports it. */
  Path?: string;
}

/**
 * A stand-in for Jellyfin's API: `GET /Items?Recursive=true&IncludeItemTypes=Audio` (paged with
 * `StartIndex`/`Limit`, API key required) and `GET /Items/{id}/Download`.
 */
export async function startJellyfinStandIn(apiKey: string, items: StandInItem[]) {
  const downloads: string[] = [];
  const listings: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    if (!auth.includes(`Token="${apiKey}"`) && req.headers['x-emby-token'] !== apiKey) {
      res.writeHead(401).end();
      return;
    }
    if (url.pathname === '/Items') {
      listings.push(url.searchParams);
      const audio = url.searchParams.get('IncludeItemTypes')?.split(',').includes('Audio');
      const all = audio ? items : [];
      const start = Number(url.searchParams.get('StartIndex') ?? 0);
      const limit = Number(url.searchParams.get('Limit') ?? all.length);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          Items: all.slice(start, start + limit).map((it) => ({
            Id: it.Id,
            Name: it.Name,
            Type: 'Audio',
            ...(it.Path ? { Path: it.Path } : {}),
            DateCreated: '2026-01-01T00:00:00.0000000Z',
          })),
          TotalRecordCount: all.length,
          StartIndex: start,
        }),
      );
      return;
    }
    const m = /^\/Items\/([^/]+)\/Download$/.exec(url.pathname);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      downloads.push(id);
      const it = items.find((i) => i.Id === id);
      if (!it) return void res.writeHead(404).end();
      if (!it.bytes) return void res.writeHead(500).end('transcoder crashed');
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': it.bytes.length }).end(it.bytes);
      return;
    }
    res.writeHead(404).end();
  });
  const url = await listen(server);
  return { url, downloads, listings, close: closer(server) };
}
