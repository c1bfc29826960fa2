import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BatchBufferPool } from './buffer-pool';

describe('BatchBufferPool', () => {
  it('never has more than max buffers; a caller waits for one to come back', async () => {
    const pool = new BatchBufferPool(2, 60_000);
    const a = await pool.acquire(1024);
    const b = await pool.acquire(1024);
    let third: ArrayBuffer | undefined;
    const waiting = pool.acquire(1024).then((x) => (third = x));
    await sleep(10);
    expect(third).toBeUndefined();
    expect(pool.size).toBe(2);
    pool.release(a);
    await waiting;
    expect(third).toBe(a);
    pool.release(b);
    pool.release(third!);
    expect(pool.size).toBe(2);
    pool.close();
  });

  it('drops buffers left idle for idleMs, detaching them so their memory goes at once', async () => {
    const pool = new BatchBufferPool(4, 20);
    const bufs = await Promise.all([pool.acquire(4096), pool.acquire(4096), pool.acquire(4096)]);
    for (const b of bufs) pool.release(b);
    expect(pool.size).toBe(3);
    await sleep(80);
    expect(pool.size).toBe(0);
    for (const b of bufs) expect(b.byteLength).toBe(0);
    pool.close();
  });

  it('replaces a free buffer that is too small instead of exceeding max', async () => {
    const pool = new BatchBufferPool(1, 60_000);
    const small = await pool.acquire(16);
    pool.release(small);
    const big = await pool.acquire(64);
    expect(big.byteLength).toBe(64);
    expect(pool.size).toBe(1);
    pool.close();
  });

  it('an aborted wait rejects, and a lost buffer makes room (discard)', async () => {
    const pool = new BatchBufferPool(1, 60_000);
    await pool.acquire(8);
    const ac = new AbortController();
    const waiting = pool.acquire(8, ac.signal);
    ac.abort('enough');
    await expect(waiting).rejects.toMatchObject({ code: 'timeout' });
    const next = pool.acquire(8);
    pool.discard();
    expect((await next).byteLength).toBe(8);
    pool.close();
    await expect(pool.acquire(8)).rejects.toMatchObject({ code: 'invalid-input' });
  });
});
