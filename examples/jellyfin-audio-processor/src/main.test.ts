import { afterEach, describe, expect, it, vi } from 'vitest';
import { AudioProcessorError } from './errors';
import { USAGE, main } from './main';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('command line', () => {
  it('prints its usage for --help and for a missing or unknown command, before connecting to anything', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await main(['--help'], {});
    expect(log).toHaveBeenCalledWith(USAGE);
    await main([], {});
    expect(err).toHaveBeenLastCalledWith(USAGE);
    expect(process.exitCode).toBe(2);
    await main(['serve'], {});
    expect(String(err.mock.lastCall?.[0])).toMatch(/^unknown command: serve\n\nusage:/);
  });

  it('validates the environment before it connects, and names NATS_URL when the server cannot be reached', async () => {
    const dead = { NATS_URL: 'nats://127.0.0.1:1' };
    // worker: the missing store is reported, no connection is tried.
    await expect(main(['worker'], dead)).rejects.toMatchObject({
      code: 'config',
      message: expect.stringContaining('DATABASE_URL'),
    });
    const e = await main(['enqueue', '/srv/a.flac'], dead).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AudioProcessorError);
    expect((e as AudioProcessorError).message).toMatch(
      /^cannot connect to NATS at NATS_URL=nats:\/\/127\.0\.0\.1:1: /,
    );
  });

  it('rejects bad enqueue arguments in one message', async () => {
    await expect(main(['enqueue', '--since', 'yesterday', '--limit', '0'], {})).rejects.toThrow(
      '--since must be a date such as 2025-01-31; --limit must be a positive integer; give files, --files-from or --jellyfin',
    );
  });
});
