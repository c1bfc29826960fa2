// A test-only stand-in for a CLIP model: "images" are the bytes `IMG:<label>` and every vector is a
// deterministic unit vector derived from its label, so server and client tests can check results
// bit for bit without onnxruntime. It records the batch sizes it was called with.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClipError } from '../src/errors';
import type { ClipEmbedder, ClipInfo, ImageInput } from '../src/types';

/** Dimensions of the stub vectors. */
export const STUB_DIMS = 8;

/** Stub vectors: a unit vector derived from a label. */
export function vectorFor(label: string, dims = STUB_DIMS): Float32Array {
  const v = new Float32Array(dims);
  const seed = [...label].reduce((a, ch) => a + ch.charCodeAt(0), 0);
  for (let i = 0; i < dims; i++) v[i] = Math.sin((i + 1) * seed);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Bytes the stub decodes as an image labelled `label`. */
export function stubImage(label: string): Uint8Array {
  return new TextEncoder().encode(`IMG:${label}`);
}

/** Options of {@link stubEmbedder}. */
export interface StubOptions {
  /** Time each call takes, ms. */
  delayMs?: number;
  /** Model name reported by info(). */
  model?: string;
  /** Dimensions of the vectors. */
  dims?: number;
}

/** The stub embedder and what it saw. */
export type StubEmbedder = ClipEmbedder & {
  /** Number of embedImages calls. */
  imageCalls: number;
  /** Sizes of the image batches it received, in order. */
  imageBatches: number[];
  /** Sizes of the text batches it received, in order. */
  textBatches: number[];
  /** Labels of every image it embedded, in order. */
  imageLabels: string[];
  /** Calls that are waiting on a hold. */
  held: number;
  /** From now on, calls wait (after recording their batch) until {@link StubEmbedder.release}. */
  hold(): void;
  /** Lets every waiting and later call go on. */
  release(): void;
};

/** A stand-in embedder (test-only): see the file comment. */
export function stubEmbedder(options: StubOptions | number = {}): StubEmbedder {
  const o = typeof options === 'number' ? { delayMs: options } : options;
  const dims = o.dims ?? STUB_DIMS;
  const info: ClipInfo = {
    model: o.model ?? 'stub-clip',
    files: {},
    requestedDevice: 'cpu',
    provider: 'stub',
    attempts: [],
    dtype: 'fp32',
    dims,
    preprocessing: 'fast',
    loadMs: 0,
  };
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const pass = async () => {
    if (!gate) return;
    e.held++;
    await gate;
    e.held--;
  };
  const e: StubEmbedder = {
    imageCalls: 0,
    imageBatches: [],
    textBatches: [],
    imageLabels: [],
    held: 0,
    hold() {
      gate ??= new Promise((r) => (open = r));
    },
    release() {
      open?.();
      gate = undefined;
    },
    async embedImages(inputs: readonly ImageInput[], opts?: { signal?: AbortSignal }) {
      e.imageCalls++;
      e.imageBatches.push(inputs.length);
      await pass();
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      opts?.signal?.throwIfAborted();
      return inputs.map((input) => {
        const text = input instanceof Uint8Array ? Buffer.from(input).toString('latin1') : '';
        if (!text.startsWith('IMG:')) return { error: new ClipError('decode', 'not a decodable image') };
        e.imageLabels.push(text.slice(4));
        return { embedding: vectorFor(text.slice(4), dims) };
      });
    },
    async embedTexts(texts: readonly string[]) {
      e.textBatches.push(texts.length);
      await pass();
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      return texts.map((t) => vectorFor(t, dims));
    },
    info: () => info,
    dispose: async () => undefined,
  };
  return e;
}

/** A stand-in image host on loopback (test-only): `path` answers `IMG:<label>` as `type`, anything else 404. */
export async function imageHost(
  files: Record<string, { label: string; type: string }>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (f) res.writeHead(200, { 'content-type': f.type }).end(`IMG:${f.label}`);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
