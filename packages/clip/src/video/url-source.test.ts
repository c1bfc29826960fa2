// Video URLs under the image fetcher's address policy: ffmpeg only ever talks to the loopback
// source, which fetches through the guarded dispatcher. The "remote" media server is a loopback
// HTTP server, so the policy must be opened explicitly for it (allowedHosts / lookup).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { h264, testsrc2, videoDir, type VideoDir } from '../../test/videos';
import { startMediaServer, type MediaServer } from '../../test/media-server';
import { extractVideoFrames, type ExtractFramesOptions, type VideoFrame } from './frames';

let videos: VideoDir;
let server: MediaServer;
let mp4: string;

beforeAll(async () => {
  videos = await videoDir();
  // No +faststart: the MP4 index (moov) is at the end, so ffmpeg must seek (Range) to read it.
  mp4 = await videos.make('clip.mp4', [...testsrc2(4), ...h264()]);
  server = await startMediaServer();
  server.file('/clip.mp4', mp4);
});
afterAll(async () => {
  await server.close();
  await videos.dispose();
});
beforeEach(() => {
  server.requests.length = 0;
});

async function collect(url: string, options: ExtractFramesOptions): Promise<VideoFrame[]> {
  const out: VideoFrame[] = [];
  for await (const f of extractVideoFrames(url, options)) out.push(f);
  return out;
}

const allowLoopback = { allowedHosts: ['127.0.0.1'] };

describe('video URLs', () => {
  it('are refused by the default address policy before any connection is made', async () => {
    await expect(collect(`${server.url}/clip.mp4`, { everySeconds: 1 })).rejects.toMatchObject({
      name: 'ClipError',
      code: 'blocked',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('are read through the policy-checked source, seeking with Range requests, never by ffmpeg itself', async () => {
    const remote = await collect(`${server.url}/clip.mp4?token=secret`, {
      everySeconds: 1,
      fetch: allowLoopback,
    });
    const local = await collect(mp4, { everySeconds: 1 });
    expect(remote.map((f) => f.timestamp)).toEqual([0, 1, 2, 3]);
    remote.forEach((f, i) =>
      expect(Buffer.from(f.image.data).equals(Buffer.from(local[i]!.image.data))).toBe(true),
    );
    expect(server.requests.length).toBeGreaterThan(0);
    for (const r of server.requests) expect(r.headers['user-agent']).toBe('pmoves-clip-video/1');
    // The index at the end was fetched by a range that does not start at 0.
    expect(server.requests.some((r) => /^bytes=[1-9]/.test(String(r.headers.range)))).toBe(true);
  });

  it('re-check every redirect hop: a redirect to an address the policy refuses is blocked', async () => {
    server.route('/moved', (_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${server.port}/clip.mp4` }).end();
    });
    // media.test resolves to loopback and is allowed by name; 127.0.0.1 itself is not allowed.
    const fetch = {
      allowedHosts: ['media.test'],
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    };
    await expect(
      collect(`http://media.test:${server.port}/moved`, { everySeconds: 1, fetch }),
    ).rejects.toMatchObject({ code: 'blocked', message: expect.stringContaining('127.0.0.1') });
    expect(server.requests.map((r) => r.path)).not.toContain('/clip.mp4');
  });

  it('send the caller headers to the URL origin only, never to another origin after a redirect', async () => {
    server.route('/elsewhere', (_req, res) => {
      res.writeHead(302, { location: `http://localhost:${server.port}/clip.mp4` }).end();
    });
    const fetch = {
      ...allowLoopback,
      allowedHosts: ['127.0.0.1', 'localhost'],
      headers: { 'x-emby-token': 'k1' },
    };
    await collect(`${server.url}/clip.mp4`, { everySeconds: 2, fetch });
    expect(server.requests.every((r) => r.headers['x-emby-token'] === 'k1')).toBe(true);
    server.requests.length = 0;
    await collect(`${server.url}/elsewhere`, { everySeconds: 2, fetch });
    const first = server.requests.find((r) => r.path === '/elsewhere');
    expect(first?.headers['x-emby-token']).toBe('k1');
    const moved = server.requests.filter((r) => r.path === '/clip.mp4');
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((r) => r.headers['x-emby-token'] === undefined)).toBe(true);
  });

  it('refuse playlists, whose segment URLs ffmpeg would open itself', async () => {
    server.route('/list.m3u8', (_req, res) => {
      const body = `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n${server.url}/segment.ts\n#EXT-X-ENDLIST\n`;
      res
        .writeHead(200, { 'content-type': 'video/mp2t', 'content-length': Buffer.byteLength(body) })
        .end(body);
    });
    await expect(
      collect(`${server.url}/list.m3u8`, { everySeconds: 1, fetch: allowLoopback }),
    ).rejects.toMatchObject({ code: 'decode' });
    expect(server.requests.map((r) => r.path)).not.toContain('/segment.ts');
  });

  it('report the upstream failure (HTTP status, content type) rather than ffmpeg’s message', async () => {
    await expect(
      collect(`${server.url}/missing.mp4`, { everySeconds: 1, fetch: allowLoopback }),
    ).rejects.toMatchObject({ code: 'fetch', message: expect.stringContaining('HTTP 404') });
    server.route('/page', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'));
    await expect(
      collect(`${server.url}/page`, { everySeconds: 1, fetch: allowLoopback }),
    ).rejects.toMatchObject({
      code: 'fetch',
      message: expect.stringContaining('not a video'),
    });
    await expect(collect('ftp://example.com/a.mp4', { everySeconds: 1 })).rejects.toMatchObject({
      code: 'blocked',
    });
  });
});
