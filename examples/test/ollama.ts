// A loopback stand-in for Ollama's native API (`POST /api/show`, `POST /api/chat` with
// `stream: false`), speaking its documented wire format, driven by @pmoves/qwen-audio through the
// real `ollama` client. Its replies are canned: never a real analysis.
import { startStandIn } from './helpers';

/** Starts the stand-in; `models` maps a model name to its `/api/show` capabilities. */
export async function startOllamaStandIn(opts: {
  models: Record<string, string[]>;
  reply: { summary: string; tags: string[]; mood: string; confidence?: number };
}) {
  let chats = 0;
  const s = await startStandIn((req, res) => {
    const body = (req.json ?? {}) as { model?: string };
    const send = (status: number, json: unknown): void =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    const caps = opts.models[body.model ?? ''];
    if (req.method === 'POST' && req.path === '/api/show') {
      if (!caps) return send(404, { error: `model '${body.model}' not found` });
      return send(200, {
        modelfile: '# stand-in',
        parameters: '',
        template: '{{ .Prompt }}',
        details: {
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
      if (!caps) return send(404, { error: `model "${body.model}" not found, try pulling it first` });
      chats++;
      return send(200, {
        model: body.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: JSON.stringify(opts.reply) },
        done: true,
        done_reason: 'stop',
      });
    }
    send(404, { error: '404 page not found' });
  });
  return { ...s, chats: () => chats };
}
