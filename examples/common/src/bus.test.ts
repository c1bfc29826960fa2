import { describe, expect, it } from 'vitest';
import { memoryBus } from './bus';

const text = (d: Uint8Array) => new TextDecoder().decode(d);

describe('memoryBus (the in-process bus of the demo)', () => {
  it('delivers to every plain subscriber, to one member of each queue group in turn, asynchronously', async () => {
    const bus = memoryBus();
    const got: string[] = [];
    bus.subscribe('a', async (m) => void got.push(`plain:${text(m.data)}`));
    bus.subscribe('a', async (m) => void got.push(`q1:${text(m.data)}`), { queue: 'g' });
    bus.subscribe('a', async (m) => void got.push(`q2:${text(m.data)}`), { queue: 'g' });
    bus.subscribe('b', async (m) => void got.push(`b:${text(m.data)}`));
    bus.publish('a', '1');
    expect(got).toEqual([]); // never inline
    bus.publish('a', '2');
    await bus.flush();
    await new Promise((r) => setImmediate(r));
    expect(got.sort()).toEqual(['plain:1', 'plain:2', 'q1:1', 'q2:2'].sort());
    await bus.close();
  });

  it('handles one message at a time per subscription; drain waits for the one in hand', async () => {
    const bus = memoryBus();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sub = bus.subscribe('x', async (m) => {
      order.push(`start ${text(m.data)}`);
      if (text(m.data) === '1') await gate;
      order.push(`end ${text(m.data)}`);
    });
    bus.publish('x', '1');
    bus.publish('x', '2');
    await bus.flush();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['start 1']);
    const drained = sub.drain();
    bus.publish('x', '3'); // after drain: not delivered
    release();
    await drained;
    await bus.flush();
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('keeps going when a handler throws', async () => {
    const bus = memoryBus();
    const got: string[] = [];
    bus.subscribe('x', async (m) => {
      if (text(m.data) === 'bad') throw new Error('boom');
      got.push(text(m.data));
    });
    bus.publish('x', 'bad');
    bus.publish('x', 'good');
    await bus.flush();
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['good']);
  });
});
