// The event bus the example services talk over: NATS (PMOVES's bus) or, for the demo and for a
// single process with no NATS_URL, an in-process bus with the same delivery rules (subjects,
// queue groups that hand each message to one member, messages handled one at a time per
// subscription).
import { connect, type NatsConnection, type Subscription } from 'nats';
import { errorMessage } from './log';

/** One delivered message. */
export interface BusMessage {
  /** Subject it was published on. */
  subject: string;
  /** Raw bytes (a JSON envelope, for PMOVES's topics). */
  data: Uint8Array;
}

/** A subscription; handlers run one message at a time. */
export interface BusSubscription {
  /** Stops taking messages; resolves once the message in hand (and any already delivered) is handled. */
  drain(): Promise<void>;
}

/** Handles one message; a throw is the handler's to log: the subscription goes on. */
export type BusHandler = (msg: BusMessage) => Promise<void>;

/** What the services need from a bus. */
export interface Bus {
  /** `nats` or `memory`. */
  readonly kind: 'nats' | 'memory';
  /** Where it is (`nats://…`, or `in-process`). */
  readonly where: string;
  /** Publishes a message (fire and forget, as core NATS does). */
  publish(subject: string, data: string | Uint8Array): void;
  /** Subscribes; with `queue`, each message goes to one member of the group. */
  subscribe(subject: string, handler: BusHandler, opts?: { queue?: string }): BusSubscription;
  /** Resolves when everything published so far has reached the server (or, in process, its handlers' queues). */
  flush(): Promise<void>;
  /** Drains every subscription and closes the connection. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const bytes = (data: string | Uint8Array) => (typeof data === 'string' ? encoder.encode(data) : data);

/** Wraps a NATS connection. */
export function natsBus(nc: NatsConnection, where: string): Bus {
  const subs = new Set<{ sub: Subscription; done: Promise<void> }>();
  return {
    kind: 'nats',
    where,
    publish: (subject, data) => nc.publish(subject, bytes(data)),
    subscribe(subject, handler, opts = {}) {
      const sub = nc.subscribe(subject, opts.queue ? { queue: opts.queue } : {});
      const done = (async () => {
        for await (const m of sub) {
          await handler({ subject: m.subject, data: m.data }).catch(() => undefined);
        }
      })();
      const entry = { sub, done };
      subs.add(entry);
      return {
        async drain() {
          subs.delete(entry);
          if (!sub.isClosed()) await sub.drain();
          await done;
        },
      };
    },
    flush: () => nc.flush(),
    async close() {
      await Promise.all(
        [...subs].map(async (s) => (s.sub.isClosed() ? s.done : s.sub.drain().then(() => s.done))),
      );
      if (!nc.isClosed()) await nc.drain();
    },
  };
}

/**
 * Connects to NATS. Fails with a message that names `NATS_URL` and the address tried (never a raw
 * client stack), so a service without a reachable server says what to set.
 */
export async function connectNatsBus(
  url: string,
  opts: { timeoutMs?: number; name?: string } = {},
): Promise<Bus> {
  try {
    const nc = await connect({
      servers: url,
      timeout: opts.timeoutMs ?? 5_000,
      ...(opts.name ? { name: opts.name } : {}),
    });
    return natsBus(nc, url);
  } catch (err) {
    throw new Error(
      `cannot connect to NATS at ${url} (NATS_URL): ${errorMessage(err)}. ` +
        'Start a server (nats-server -a 127.0.0.1) or set NATS_URL to one.',
      { cause: err },
    );
  }
}

interface MemorySub {
  subject: string;
  queue?: string;
  handler: BusHandler;
  pending: BusMessage[];
  running: Promise<void> | null;
  closed: boolean;
}

/** An in-process bus: the same subjects and queue-group delivery, no server. */
export function memoryBus(): Bus {
  const subs: MemorySub[] = [];
  const turn = new Map<string, number>(); // round robin per subject+queue
  let inFlight = Promise.resolve();

  const pump = (s: MemorySub) => {
    if (s.running) return;
    s.running = (async () => {
      while (s.pending.length) {
        const m = s.pending.shift()!;
        await s.handler(m).catch(() => undefined);
      }
      s.running = null;
    })();
  };

  const deliver = (m: BusMessage) => {
    const live = subs.filter((s) => !s.closed && s.subject === m.subject);
    const groups = new Map<string, MemorySub[]>();
    for (const s of live) {
      if (!s.queue) {
        s.pending.push(m);
        pump(s);
      } else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
    }
    for (const [queue, members] of groups) {
      const key = `${m.subject}\u0000${queue}`;
      const i = (turn.get(key) ?? 0) % members.length;
      turn.set(key, i + 1);
      const s = members[i]!;
      s.pending.push(m);
      pump(s);
    }
  };

  return {
    kind: 'memory',
    where: 'in-process',
    publish(subject, data) {
      const m = { subject, data: bytes(data) };
      // Asynchronous, like a network hop: the publisher never runs its subscribers' code inline.
      inFlight = inFlight.then(() => new Promise<void>((r) => setImmediate(() => (deliver(m), r()))));
    },
    subscribe(subject, handler, opts = {}) {
      const s: MemorySub = {
        subject,
        handler,
        pending: [],
        running: null,
        closed: false,
        ...(opts.queue ? { queue: opts.queue } : {}),
      };
      subs.push(s);
      return {
        async drain() {
          s.closed = true;
          while (s.running) await s.running;
          subs.splice(subs.indexOf(s), 1);
        },
      };
    },
    flush: () => inFlight,
    async close() {
      await inFlight;
      for (const s of [...subs]) {
        s.closed = true;
        while (s.running) await s.running;
      }
      subs.length = 0;
    },
  };
}
