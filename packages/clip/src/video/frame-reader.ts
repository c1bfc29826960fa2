// How ffmpeg's raw frames get from its stdout into whole-frame buffers.
//
// A pipe hands us 64 KB chunks, each a fresh buffer that is then copied into the frame: at 6 MB a
// 1080p frame that is ~95 allocations and a full copy per frame, and the garbage collector ran
// 30 full collections on a 2-minute clip (600 ms of the ~1 s this process spent). So where it can,
// ffmpeg writes into a Unix socket instead, and we read with `onread` straight into the buffer of
// the frame being filled: no chunks, no copy. The pipe stays as the fallback (Windows, or a socket
// that cannot be made).
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What showinfo says of one frame. */
export interface FrameMeta {
  n: number;
  time: number;
  width: number;
  height: number;
}

/** One whole frame: its metadata and its RGB bytes. */
export interface AssembledFrame {
  meta: FrameMeta;
  data: Uint8Array;
}

/**
 * Cuts the byte stream into frames whose sizes come from showinfo lines. Bytes may arrive before
 * their frame's line (stdout and stderr are separate streams): they wait in `spill` until it does.
 * While a frame is open, `spill` is empty and its buffer is where the next bytes go.
 */
export class FrameAssembler {
  /** Frames complete and not yet taken. */
  readonly ready: AssembledFrame[] = [];
  private readonly metas: FrameMeta[] = [];
  private spill: Uint8Array[] = [];
  private spillBytes = 0;
  private open: { meta: FrameMeta; data: Uint8Array; at: number } | undefined;
  // Where bytes go while no frame is open (rare: only before a frame's showinfo line arrives).
  private readonly scratch = new Uint8Array(256 * 1024);

  /** A frame's showinfo line arrived. */
  addMeta(meta: FrameMeta): void {
    this.metas.push(meta);
    this.advance();
  }

  /** Bytes from a pipe (owned by us: kept without copying until their frame is known). */
  addBytes(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.spill.push(bytes);
    this.spillBytes += bytes.length;
    this.advance();
  }

  /** Where a socket read should put its bytes: the open frame's free part, else scratch. */
  target(): Uint8Array {
    return this.open ? this.open.data.subarray(this.open.at) : this.scratch;
  }

  /** `n` bytes were read into `buf`, a buffer {@link target} returned. */
  wrote(buf: Uint8Array, n: number): void {
    if (n <= 0) return;
    if (buf === this.scratch || !this.open) {
      this.addBytes(this.scratch.slice(0, n));
      return;
    }
    this.open.at += n;
    this.advance();
  }

  /** Bytes and showinfo lines received that are not yet a whole frame. */
  get pending(): { bytes: number; metas: number } {
    return { bytes: this.spillBytes + (this.open?.at ?? 0), metas: this.metas.length + (this.open ? 1 : 0) };
  }

  private advance(): void {
    for (;;) {
      if (!this.open) {
        const meta = this.metas.shift();
        if (!meta) return;
        this.open = { meta, data: new Uint8Array(meta.width * meta.height * 3), at: 0 };
      }
      const f = this.open;
      while (this.spill.length > 0 && f.at < f.data.length) {
        const c = this.spill[0]!;
        const take = Math.min(c.length, f.data.length - f.at);
        f.data.set(take === c.length ? c : c.subarray(0, take), f.at);
        f.at += take;
        this.spillBytes -= take;
        if (take === c.length) this.spill.shift();
        else this.spill[0] = c.subarray(take);
      }
      if (f.at < f.data.length) return;
      this.ready.push({ meta: f.meta, data: f.data });
      this.open = undefined;
    }
  }
}

/** A connected socket pair: give `peer` to the child as its stdout, read from `reader`. */
export interface FrameSocket {
  /** Our end, reading into the assembler. */
  reader: Socket;
  /** The child's end; close our copy of it once the child has started. */
  peer: Socket;
}

/**
 * A Unix socket whose reads land in `asm`'s frames (`afterRead` runs after each), or undefined
 * where none can be made (Windows, a temporary folder whose path is too long for a socket). The
 * socket lives in a fresh private folder only until both ends are connected.
 */
export async function openFrameSocket(
  asm: FrameAssembler,
  afterRead: () => void,
): Promise<FrameSocket | undefined> {
  if (process.platform === 'win32') return undefined;
  let dir: string | undefined;
  let reader: Socket | undefined;
  const server = createServer({ pauseOnConnect: true });
  try {
    dir = await mkdtemp(join(tmpdir(), 'pmoves-frames-'));
    const path = join(dir, 'f.sock');
    if (Buffer.byteLength(path) > 100) return undefined; // sun_path holds 104–108 bytes
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    // libuv asks for a buffer, reads into it, then calls back: `last` is the one just filled.
    let last: Uint8Array | undefined;
    reader = connect({
      path,
      onread: {
        buffer: () => (last = asm.target()),
        callback: (n: number) => {
          asm.wrote(last!, n);
          afterRead();
          return true;
        },
      },
    });
    const r = reader;
    await new Promise<void>((resolve, reject) => {
      r.once('connect', resolve);
      r.once('error', reject);
    });
    return { reader, peer: await accepted };
  } catch {
    reader?.destroy();
    return undefined;
  } finally {
    server.close();
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
