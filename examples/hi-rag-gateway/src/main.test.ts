// The gateway and `smoke:clip` as processes, the way an operator runs them: the gateway in sample
// mode on the tiny generated CLIP model, then the smoke command against it (exit 0), against a
// gateway whose CLIP endpoint fails (exit 1 with the reason), and SIGTERM (exit 0).
import { afterAll, describe, expect, it } from 'vitest';
import { closedPort, startService, startStandIn, waitFor, type ServiceProcess } from '../../test/helpers';
import { tinyClipEnv } from '../../test/models';

const running: ServiceProcess[] = [];
afterAll(() => running.forEach((p) => p.kill('SIGKILL')));

async function startGateway(env: Record<string, string>) {
  const port = await closedPort();
  const p = startService('hi-rag-gateway/src/main.ts', [], { PORT: String(port), ...env });
  running.push(p);
  await waitFor(() => (p.output().includes('"listening"') ? true : undefined), 60_000).catch(() => {
    throw new Error(`gateway did not start:\n${p.output()}`);
  });
  return { p, url: `http://127.0.0.1:${port}` };
}

async function smoke(url: string) {
  const s = startService('smoke/src/clip.ts', [], { HIRAG_URL: url, SMOKE_TIMEOUT: '60' });
  return { code: await s.exited, out: s.output() };
}

describe('hi-rag gateway process and smoke:clip', () => {
  it('smoke:clip passes against a gateway that reranks with CLIP; SIGTERM stops it cleanly', async () => {
    const g = await startGateway(tinyClipEnv());
    expect(g.p.output()).toContain('sample mode (default)'); // usage first
    const res = await smoke(g.url);
    expect(res.out).toContain('smoke-clip OK');
    expect(res.out).toMatch(/used_rerank true, rerank_provider clip/);
    expect(res.code).toBe(0);
    g.p.kill('SIGTERM');
    expect(await g.p.exited).toBe(0);
  });

  it('smoke:clip fails with the reason when CLIP did not rerank', async () => {
    const clip = await startStandIn((_r, res) => void res.writeHead(503).end('model not loaded'));
    try {
      const g = await startGateway({ CLIP_ENDPOINT: clip.url });
      const res = await smoke(g.url);
      expect(res.code).toBe(1);
      expect(res.out).toContain('smoke-clip FAILED: reranking was not used');
      expect(res.out).toMatch(/clip: .*503/);
      g.p.kill('SIGTERM');
      await g.p.exited;
    } finally {
      await clip.close();
    }
  });

  it('smoke:clip names HIRAG_URL when nothing answers there', async () => {
    const res = await smoke(`http://127.0.0.1:${await closedPort()}`);
    expect(res.code).toBe(1);
    expect(res.out).toContain('(HIRAG_URL)');
  });

  it('refuses a bad environment with one message naming every bad variable', async () => {
    const p = startService('hi-rag-gateway/src/main.ts', [], {
      PORT: 'eighty',
      ALPHA: '1.5',
      RERANK_PROVIDER: 'clipp',
    });
    expect(await p.exited).toBe(2);
    const line = p
      .output()
      .split('\n')
      .find((l) => l.includes('configuration rejected'))!;
    for (const v of ['PORT', 'ALPHA', 'RERANK_PROVIDER']) expect(line).toContain(v);
  });
});
