// The batcher's window on a fake clock (setTimeout and Date are faked; setImmediate, which ends a
// submitting turn, is real): when batches form is decided by the clock the test moves, never by
// how fast the machine is.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from './batcher';

/** A model that records each batch and holds it until the test lets it go. */
function heldModel() {
  const batches: string[][] = [];
  const waiting: (() => void)[] = [];
  return {
    batches,
    run: (items: string[]) => {
      batches.push(items);
      return new Promise<string[]>((resolve) => waiting.push(() => resolve(items.map((i) => `v:${i}`))));
    },
    releaseAll: () => waiting.splice(0).forEach((go) => go()),
  };
}

/** Lets the submitting turn end (the batcher schedules on setImmediate), then settles promises. */
const turn = () => new Promise<void>((r) => setImmediate(r));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Batcher', () => {
  it('an idle model takes what has arrived at once: no clock time passes', async () => {
    const model = heldModel();
    const b = new Batcher({ maxBatch: 8, maxWaitMs: 10_000, maxInFlight: 2, run: model.run });
    const answer = b.submit(['a', 'b', 'c']);
    await turn();
    expect(model.batches).toEqual([['a', 'b', 'c']]);
    model.releaseAll();
    expect(await answer).toEqual(['v:a', 'v:b', 'v:c']);
  });

  it('while a batch runs, items wait for a full batch or the end of the window, whichever comes first', async () => {
    const model = heldModel();
    const b = new Batcher({ maxBatch: 4, maxWaitMs: 1000, maxInFlight: 2, run: model.run });
    const first = b.submit(['prime']); // the model is busy with this one from now on
    await turn();
    const late = [b.submit(['x']), b.submit(['y'])];
    await turn();
    vi.advanceTimersByTime(999);
    await turn();
    expect(model.batches).toEqual([['prime']]); // still inside the window, not full
    expect(b.waiting).toBe(2);
    vi.advanceTimersByTime(1);
    await turn();
    expect(model.batches).toEqual([['prime'], ['x', 'y']]); // the window ended
    const full = b.submit(['p', 'q', 'r', 's']);
    await turn();
    expect(model.batches).toHaveLength(2); // both slots are busy: it waits for one
    model.releaseAll();
    await turn();
    await turn();
    // A full batch goes as soon as a slot is free, without waiting for the window.
    expect(model.batches).toEqual([['prime'], ['x', 'y'], ['p', 'q', 'r', 's']]);
    model.releaseAll();
    expect(await first).toEqual(['v:prime']);
    expect(await Promise.all(late)).toEqual([['v:x'], ['v:y']]);
    expect(await full).toEqual(['v:p', 'v:q', 'v:r', 'v:s']);
  });

  it('an aborted request leaves the queue before its batch starts', async () => {
    const model = heldModel();
    const b = new Batcher({ maxBatch: 4, maxWaitMs: 1000, maxInFlight: 1, run: model.run });
    const first = b.submit(['prime']);
    await turn();
    const gone = new AbortController();
    const dropped = b.submit(['gone'], gone.signal).catch((e: unknown) => e);
    const kept = b.submit(['kept']);
    await turn();
    gone.abort(new Error('client went away'));
    expect(await dropped).toMatchObject({ message: 'client went away' });
    model.releaseAll();
    await turn();
    await turn();
    expect(model.batches).toEqual([['prime'], ['kept']]);
    model.releaseAll();
    expect(await first).toEqual(['v:prime']);
    expect(await kept).toEqual(['v:kept']);
  });
});
