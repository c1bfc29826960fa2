import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameAssembler, openFrameSocket, type FrameMeta } from './frame-reader';

// Three frames of different sizes, each byte numbered so a misplaced byte shows.
const metas: FrameMeta[] = [
  { n: 0, time: 0, width: 5, height: 3 },
  { n: 1, time: 1, width: 1, height: 1 },
  { n: 2, time: 2, width: 40, height: 30 },
];
const sizes = metas.map((m) => m.width * m.height * 3);
const stream = Uint8Array.from({ length: sizes.reduce((a, b) => a + b) }, (_, i) => (i * 7 + 3) % 251);
const expected = metas.map((_, i) => {
  const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
  return stream.slice(start, start + sizes[i]!);
});

/** A seeded generator, so a failing order can be replayed. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('FrameAssembler', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'cuts whole frames, in order, whatever the read sizes and however lines and bytes interleave (seed %i)',
    (seed) => {
      const random = rng(seed);
      const asm = new FrameAssembler();
      let at = 0;
      let m = 0;
      while (at < stream.length || m < metas.length) {
        if (m < metas.length && (at >= stream.length || random() < 0.3)) {
          asm.addMeta(metas[m++]!);
        } else if (random() < 0.5) {
          // A socket read: into the buffer the assembler offers, at most its length.
          const target = asm.target();
          const n = Math.min(target.length, stream.length - at, 1 + Math.floor(random() * 700));
          target.set(stream.subarray(at, at + n));
          asm.wrote(target, n);
          at += n;
        } else {
          // A pipe chunk.
          const n = Math.min(stream.length - at, 1 + Math.floor(random() * 700));
          asm.addBytes(stream.slice(at, at + n));
          at += n;
        }
      }
      expect(asm.ready.map((f) => f.meta)).toEqual(metas);
      asm.ready.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(expected[i]!))).toBe(true));
      expect(asm.pending).toEqual({ bytes: 0, metas: 0 });
    },
  );

  it('reads straight into the open frame once its size is known', () => {
    const asm = new FrameAssembler();
    asm.addMeta(metas[2]!);
    const target = asm.target();
    expect(target.length).toBe(sizes[2]);
    target.set(stream.subarray(0, 100));
    asm.wrote(target, 100);
    expect(asm.target().byteOffset).toBe(100); // the same frame's buffer, further on
    expect(asm.pending).toEqual({ bytes: 100, metas: 1 });
  });

  it('reports bytes and lines left over when the stream stops part-way', () => {
    const asm = new FrameAssembler();
    asm.addBytes(stream.slice(0, 10));
    expect(asm.pending).toEqual({ bytes: 10, metas: 0 });
    asm.addMeta(metas[0]!);
    asm.addMeta(metas[1]!);
    expect(asm.ready).toHaveLength(0);
    expect(asm.pending).toEqual({ bytes: 10, metas: 2 });
  });
});

describe('openFrameSocket', () => {
  const saved = process.env.TMPDIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });

  it('connects a socket pair and leaves nothing in the temporary folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fr-'));
    process.env.TMPDIR = dir;
    try {
      const asm = new FrameAssembler();
      asm.addMeta(metas[0]!);
      const socket = await openFrameSocket(asm, () => undefined);
      expect(socket).toBeDefined();
      expect(await readdir(dir)).toEqual([]);
      const got = new Promise<void>((resolve) => socket!.reader.on('end', resolve));
      socket!.peer.end(Buffer.from(expected[0]!));
      await got;
      expect(asm.ready).toHaveLength(1);
      expect(Buffer.from(asm.ready[0]!.data).equals(Buffer.from(expected[0]!))).toBe(true);
      socket!.reader.destroy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up (the caller falls back to a pipe) when the socket path would be too long', async () => {
    const dir = await mkdtemp(join(tmpdir(), `fr-${'x'.repeat(100)}-`));
    process.env.TMPDIR = dir;
    try {
      expect(await openFrameSocket(new FrameAssembler(), () => undefined)).toBeUndefined();
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
