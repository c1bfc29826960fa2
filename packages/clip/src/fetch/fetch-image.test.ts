// SSRF tests. No test may send a packet outside 127.0.0.0/8: every host name resolves through an
// injected lookup, and the connection guard fails the test before a socket to any other address
// is opened. Real fetches go only to the loopback server below, allowed explicitly.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClipError } from '../errors';
import { classifyAddress } from './address-policy';
import { imageFetchOptionsFromEnv } from './env';
import { createImageFetcher, fetchImage, type ConnectTarget, type HostLookup } from './fetch-image';

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360f80f00000101000518d84e0000000049454e44ae426082',
  'hex',
);

let server: Server;
let base: string;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/img.png':
        res.writeHead(200, { 'content-type': 'image/png', etag: '"v1"', 'content-length': PNG.length });
        res.end(PNG);
        return;
      case '/etag':
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'image/png', etag: '"v1"' });
        res.end(PNG);
        return;
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html></html>');
        return;
      case '/big-declared':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 10_000_000 });
        res.end();
        return;
      case '/big-stream': {
        // No Content-Length: the limit must be enforced while streaming.
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        let sent = 0;
        const pump = () => {
          while (sent < 5_000_000) {
            sent += 65536;
            if (!res.write(Buffer.alloc(65536))) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        res.on('error', () => undefined);
        return;
      }
      case '/slow':
        setTimeout(() => {
          if (!res.destroyed) res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
        }, 2000);
        return;
      case '/404':
        res.writeHead(404).end();
        return;
      case '/to':
        res.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      default:
        res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** Connections the guard refused (anything outside 127.0.0.0/8). */
let violations: ConnectTarget[] = [];
const guard = (target: ConnectTarget) => {
  if (!target.address.startsWith('127.')) {
    violations.push(target);
    throw new Error(`test guard: refused to connect to ${target.address}`);
  }
};
afterEach(() => {
  violations = [];
});

/** Test DNS: `name` → addresses; anything else fails (no real DNS query ever leaves). */
function fakeDns(table: Record<string, string[] | (() => string[])>): HostLookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (host: string) => {
    calls.push(host);
    const entry = table[host];
    if (!entry) throw new Error(`test DNS: unknown host ${host}`);
    const list = typeof entry === 'function' ? entry() : entry;
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

async function expectCode(p: Promise<unknown>, code: string): Promise<ClipError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClipError);
  expect((err as ClipError).code).toBe(code);
  return err as ClipError;
}

const BLOCKED_ADDRESSES = [
  '127.0.0.1',
  '127.8.9.10',
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.254',
  '192.168.1.1',
  '100.64.0.1',
  '169.254.1.1',
  '169.254.169.254',
  '0.0.0.0',
  '0.1.2.3',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '192.0.2.1',
  '198.18.0.1',
  '::1',
  '::',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  'fd00::1',
  'fc00::1',
  'fe80::1',
  'ff02::1',
  '64:ff9b::7f00:1',
  '64:ff9b::a00:1',
  '64:ff9b:1::1',
  '2002:7f00:1::1',
  '2002:c0a8:101::1',
  '2001::1',
  '2001:db8::1',
  'fd00:ec2::254',
];

describe('address policy', () => {
  it.each(BLOCKED_ADDRESSES)('refuses %s by default', (address) => {
    expect(classifyAddress(address).allowed).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '93.184.215.14',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows public %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });

  it('allowPrivate opens private networks but never metadata, multicast or unspecified', () => {
    for (const a of ['10.0.0.1', '192.168.0.1', '100.64.0.1', 'fd00::1', '127.0.0.1', '::ffff:10.0.0.1']) {
      expect(classifyAddress(a, true).allowed).toBe(true);
    }
    for (const a of ['169.254.169.254', 'fd00:ec2::254', '0.0.0.0', '224.0.0.1', '::']) {
      expect(classifyAddress(a, true).allowed).toBe(false);
    }
  });
});

describe('fetchImage SSRF protection', () => {
  it.each([
    'http://127.0.0.1/x.png',
    'http://2130706433/x.png',
    'http://0177.0.0.1/x.png',
    'http://0x7f.1/x.png',
    'http://017700000001/x.png',
    'http://10.0.0.1/x.png',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/x.png',
    'http://[::]/x.png',
    'http://[::ffff:127.0.0.1]/x.png',
    'http://[0:0:0:0:0:ffff:7f00:1]/x.png',
    'http://[fd00::1]/x.png',
    'http://[fe80::1]/x.png',
    'http://[64:ff9b::7f00:1]/x.png',
    'http://0.0.0.0/x.png',
    'http://100.64.1.1/x.png',
  ])('refuses literal %s without connecting', async (url) => {
    const lookup = fakeDns({});
    await expectCode(fetchImage(url, { lookup, connectGuard: guard }), 'blocked');
    expect(violations).toEqual([]);
    expect(lookup.calls).toEqual([]);
  });

  it.each(BLOCKED_ADDRESSES)('refuses a host name that resolves to %s', async (address) => {
    const lookup = fakeDns({ 'images.test': [address] });
    await expectCode(fetchImage('http://images.test/a.png', { lookup, connectGuard: guard }), 'blocked');
    expect(violations).toEqual([]);
    expect(lookup.calls).toEqual(['images.test']);
  });

  it('refuses a name whose answer mixes public and private addresses', async () => {
    const lookup = fakeDns({ 'mixed.test': ['93.184.215.14', '10.0.0.7'] });
    const err = await expectCode(
      fetchImage('http://mixed.test/', { lookup, connectGuard: guard }),
      'blocked',
    );
    expect(err.message).toContain('10.0.0.7');
    expect(violations).toEqual([]);
  });

  it('connects only to the address it checked (DNS rebinding has no window)', async () => {
    // First answer public, every later answer private: a check-then-fetch implementation would
    // validate the first and connect to the second.
    let n = 0;
    const lookup = fakeDns({ 'rebind.test': () => (n++ === 0 ? ['93.184.215.14'] : ['127.0.0.1']) });
    await expectCode(fetchImage('http://rebind.test/img.png', { lookup, connectGuard: guard }), 'fetch');
    // Exactly one resolution, and the only connection attempt went to the address that passed.
    expect(lookup.calls).toEqual(['rebind.test']);
    expect(violations.map((v) => v.address)).toEqual(['93.184.215.14']);
  });

  it('re-resolves and re-checks on every new connection (rebinding across requests)', async () => {
    // The name first resolves to the allowed loopback server, later to a private address.
    let n = 0;
    const lookup = fakeDns({ 'rebind.test': () => (n++ === 0 ? ['127.0.0.1'] : ['10.9.9.9']) });
    const fetcher = createImageFetcher({ lookup, connectGuard: guard, allowedHosts: ['127.0.0.1'] });
    try {
      const ok = await fetcher.fetch(`http://rebind.test:${port}/img.png`);
      expect(Buffer.from(ok.bytes).equals(PNG)).toBe(true);
      await fetcher.close();
    } finally {
      await fetcher.close().catch(() => undefined);
    }
    const second = createImageFetcher({ lookup, connectGuard: guard, allowedHosts: ['127.0.0.1'] });
    await expectCode(second.fetch(`http://rebind.test:${port}/img.png`), 'blocked');
    await second.close();
    expect(violations).toEqual([]);
  });

  it('re-checks redirects: a public page redirecting to a private address is refused', async () => {
    const lookup = fakeDns({ 'loop.test': ['127.0.0.1'] });
    const opts = { lookup, connectGuard: guard, allowedHosts: ['loop.test'] };
    for (const target of [
      'http://10.0.0.1/x.png',
      'http://169.254.169.254/',
      'http://[::1]/',
      'http://2130706433/',
    ]) {
      const url = `http://loop.test:${port}/to?u=${encodeURIComponent(target)}`;
      await expectCode(fetchImage(url, opts), 'blocked');
    }
    expect(violations).toEqual([]);
  });

  it('re-checks redirects to a host name resolving privately', async () => {
    const lookup = fakeDns({ 'loop.test': ['127.0.0.1'], 'internal.test': ['192.168.7.7'] });
    const url = `http://loop.test:${port}/to?u=${encodeURIComponent('http://internal.test/a.png')}`;
    await expectCode(
      fetchImage(url, { lookup, connectGuard: guard, allowedHosts: ['loop.test'] }),
      'blocked',
    );
    expect(lookup.calls).toEqual(['loop.test', 'internal.test']);
    expect(violations).toEqual([]);
  });

  it('refuses non-http schemes and credentials, also after a redirect', async () => {
    await expectCode(fetchImage('file:///etc/passwd', { connectGuard: guard }), 'blocked');
    await expectCode(fetchImage('http://user:pw@example.test/', { connectGuard: guard }), 'blocked');
    const url = `${base}/to?u=${encodeURIComponent('file:///etc/passwd')}`;
    await expectCode(fetchImage(url, { connectGuard: guard, allowedHosts: ['127.0.0.1'] }), 'blocked');
    expect(violations).toEqual([]);
  });

  it('allowPrivate reaches private addresses (guard proves where it would connect)', async () => {
    const lookup = fakeDns({ 'nas.test': ['10.0.0.5'], 'meta.test': ['169.254.169.254'] });
    await expectCode(
      fetchImage('http://nas.test/a.png', { lookup, connectGuard: guard, allowPrivate: true }),
      'fetch',
    );
    expect(violations.map((v) => v.address)).toEqual(['10.0.0.5']);
    await expectCode(
      fetchImage('http://meta.test/', { lookup, connectGuard: guard, allowPrivate: true }),
      'blocked',
    );
    expect(violations).toHaveLength(1);
  });

  it('allow-list by name, suffix and CIDR', async () => {
    const lookup = fakeDns({ 'a.media.test': ['127.0.0.1'], 'b.test': ['127.0.0.2'] });
    const bySuffix = await fetchImage(`http://a.media.test:${port}/img.png`, {
      lookup,
      connectGuard: guard,
      allowedHosts: ['*.media.test'],
    });
    expect(bySuffix.contentType).toBe('image/png');
    await expectCode(
      fetchImage(`http://b.test:${port}/img.png`, {
        lookup,
        connectGuard: guard,
        allowedHosts: ['*.media.test'],
      }),
      'blocked',
    );
    const byCidr = await fetchImage(`http://a.media.test:${port}/img.png`, {
      lookup,
      connectGuard: guard,
      allowedHosts: ['127.0.0.0/8'],
    });
    expect(byCidr.bytes.length).toBe(PNG.length);
    expect(violations).toEqual([]);
  });
});

describe('metadata addresses (issue #17.5)', () => {
  const METADATA = [
    '169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    'fd00:ec2::254',
    '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe',
  ];

  it.each(METADATA)(
    'an allow-listed host name resolving to %s is refused before connecting',
    async (address) => {
      const lookup = fakeDns({ 'img.cdn.test': [address], 'cdn.test': [address] });
      for (const allowedHosts of [
        ['*.cdn.test'],
        ['img.cdn.test'],
        ['*.cdn.test', '169.254.0.0/16', 'fd00::/8'],
      ]) {
        const err = await expectCode(
          fetchImage('http://img.cdn.test/a.png', {
            lookup,
            connectGuard: guard,
            allowedHosts,
            allowPrivate: true,
          }),
          'blocked',
        );
        expect(err.message).toMatch(/metadata/);
      }
      expect(violations).toEqual([]);
    },
  );

  it('a range that contains a metadata address opens its neighbours, not the metadata address', async () => {
    const lookup = fakeDns({ 'link.test': ['169.254.1.1'], 'meta.test': ['169.254.169.254'] });
    const opts = { lookup, connectGuard: guard, allowedHosts: ['169.254.0.0/16'] };
    await expectCode(fetchImage('http://link.test/a.png', opts), 'fetch');
    expect(violations.map((v) => v.address)).toEqual(['169.254.1.1']);
    await expectCode(fetchImage('http://meta.test/a.png', opts), 'blocked');
    await expectCode(fetchImage('http://169.254.169.254/latest/meta-data/', opts), 'blocked');
    expect(violations).toHaveLength(1);
  });

  it('the exact address on the allow-list opens it, by literal and through an allow-listed name', async () => {
    const lookup = fakeDns({ 'img.cdn.test': ['169.254.170.2'] });
    await expectCode(
      fetchImage('http://img.cdn.test/a.png', {
        lookup,
        connectGuard: guard,
        allowedHosts: ['*.cdn.test', '169.254.170.2'],
      }),
      'fetch',
    );
    await expectCode(
      fetchImage('http://[fd00:ec2::254]/a.png', {
        lookup,
        connectGuard: guard,
        allowedHosts: ['fd00:ec2::254'],
      }),
      'fetch',
    );
    // The guard saw both: the policy let them through to the connection step.
    expect(violations.map((v) => v.address)).toEqual(['169.254.170.2', 'fd00:ec2::254']);
  });
});

describe('fetchImage limits (loopback server, allowed explicitly)', () => {
  const allowed = { allowedHosts: ['127.0.0.1'], connectGuard: guard };

  it('fetches an image with validators', async () => {
    const img = await fetchImage(`${base}/img.png`, allowed);
    expect(Buffer.from(img.bytes).equals(PNG)).toBe(true);
    expect(img).toMatchObject({ contentType: 'image/png', etag: '"v1"', finalUrl: `${base}/img.png` });
  });

  it('follows redirects up to the limit and reports the final URL', async () => {
    const img = await fetchImage(`${base}/to?u=/img.png`, allowed);
    expect(img.finalUrl).toBe(`${base}/img.png`);
    await expectCode(fetchImage(`${base}/loop`, { ...allowed, maxRedirects: 2 }), 'fetch');
  });

  it('answers a conditional request with notModified', async () => {
    const img = await fetchImage(`${base}/etag`, { ...allowed, ifNoneMatch: '"v1"' });
    expect(img.notModified).toBe(true);
    expect(img.bytes.length).toBe(0);
  });

  it('refuses non-image content types and HTTP errors', async () => {
    await expectCode(fetchImage(`${base}/html`, allowed), 'fetch');
    await expectCode(fetchImage(`${base}/404`, allowed), 'fetch');
  });

  it('enforces the byte limit from Content-Length and while streaming', async () => {
    await expectCode(fetchImage(`${base}/big-declared`, { ...allowed, maxBytes: 1_000_000 }), 'too-large');
    await expectCode(fetchImage(`${base}/big-stream`, { ...allowed, maxBytes: 200_000 }), 'too-large');
  });

  it('times out', async () => {
    const t0 = Date.now();
    await expectCode(fetchImage(`${base}/slow`, { ...allowed, timeoutMs: 150 }), 'timeout');
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('rejects invalid options naming the field', async () => {
    const err = await expectCode(fetchImage(`${base}/img.png`, { timeoutMs: -1 }), 'invalid-input');
    expect(err.message).toContain('timeoutMs');
  });
});

describe('imageFetchOptionsFromEnv', () => {
  it('reads hosts, private opt-in, seconds, bytes and redirects', () => {
    expect(
      imageFetchOptionsFromEnv({
        CLIP_IMAGE_FETCH_ALLOWED_HOSTS: 'cdn.test, *.media.test ,10.0.0.0/8',
        CLIP_IMAGE_FETCH_ALLOW_PRIVATE: 'true',
        CLIP_IMAGE_FETCH_TIMEOUT: '2.5',
        CLIP_IMAGE_FETCH_MAX_BYTES: '1048576',
        CLIP_IMAGE_FETCH_MAX_REDIRECTS: '0',
      }),
    ).toEqual({
      allowedHosts: ['cdn.test', '*.media.test', '10.0.0.0/8'],
      allowPrivate: true,
      timeoutMs: 2500,
      maxBytes: 1048576,
      maxRedirects: 0,
    });
    expect(imageFetchOptionsFromEnv({})).toEqual({});
    expect(imageFetchOptionsFromEnv({ CLIP_IMAGE_FETCH_ALLOW_PRIVATE: 'off' })).toEqual({
      allowPrivate: false,
    });
  });

  it('names every bad variable in one config error; a misspelt boolean is an error, not false', () => {
    let err: ClipError | undefined;
    try {
      imageFetchOptionsFromEnv({
        CLIP_IMAGE_FETCH_ALLOW_PRIVATE: 'ture',
        CLIP_IMAGE_FETCH_TIMEOUT: 'soon',
        CLIP_IMAGE_FETCH_MAX_BYTES: '-1',
        CLIP_IMAGE_FETCH_MAX_REDIRECTS: '99',
        CLIP_IMAGE_FETCH_ALLOWED_HOSTS: 'cdn.test,10.0.0.0/99',
      });
    } catch (e) {
      err = e as ClipError;
    }
    expect(err).toBeInstanceOf(ClipError);
    expect(err!.code).toBe('config');
    expect(err!.issues.map((i) => i.variable)).toEqual([
      'CLIP_IMAGE_FETCH_ALLOWED_HOSTS',
      'CLIP_IMAGE_FETCH_ALLOW_PRIVATE',
      'CLIP_IMAGE_FETCH_TIMEOUT',
      'CLIP_IMAGE_FETCH_MAX_BYTES',
      'CLIP_IMAGE_FETCH_MAX_REDIRECTS',
    ]);
    expect(err!.message).toContain('"ture"');
    expect(err!.message).toMatch(/CLIP_IMAGE_FETCH_MAX_REDIRECTS must be an integer from 0 to 20/);
  });
});
