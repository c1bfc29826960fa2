// The one way the processor connects to NATS.
import { connect, type NatsConnection } from 'nats';
import { AudioProcessorError } from './errors';

/** Connects, naming `NATS_URL` when the server cannot be reached. */
export async function connectNats(servers: string[], name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers, name, maxReconnectAttempts: -1 });
  } catch (cause) {
    throw new AudioProcessorError(
      'queue',
      `cannot connect to NATS at NATS_URL=${servers.join(',')}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
