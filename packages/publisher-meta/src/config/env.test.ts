import { describe, expect, it } from 'vitest';
import { isPublisherMetaValidationError, type PublisherMetaValidationError } from '../schemas/errors';
import { discordOptionsFromEnv, PUBLISHER_META_ENV_VARS } from './env';

function configError(fn: () => unknown): PublisherMetaValidationError {
  try {
    fn();
  } catch (err) {
    expect(isPublisherMetaValidationError(err), String(err)).toBe(true);
    return err as PublisherMetaValidationError;
  }
  throw new Error('expected a configuration error');
}

describe('discordOptionsFromEnv', () => {
  it('uses PMOVES defaults and leaves unset URLs out', () => {
    expect(discordOptionsFromEnv({})).toEqual({ prefix: 'Published: ', username: 'PMOVES' });
  });

  it('reads DISCORD_PUBLISH_PREFIX (empty kept, spaces kept), DISCORD_USERNAME over DISCORD_WEBHOOK_USERNAME, avatar, JELLYFIN_URL', () => {
    expect(
      discordOptionsFromEnv({
        DISCORD_PUBLISH_PREFIX: '',
        DISCORD_USERNAME: 'A',
        DISCORD_WEBHOOK_USERNAME: 'B',
        DISCORD_AVATAR_URL: 'https://a/x.png',
        JELLYFIN_URL: 'http://jf:8096',
      }),
    ).toEqual({ prefix: '', username: 'A', avatarUrl: 'https://a/x.png', jellyfinBaseUrl: 'http://jf:8096' });
    // PMOVES reads the prefix with os.environ.get: the trailing space is part of it.
    expect(discordOptionsFromEnv({ DISCORD_PUBLISH_PREFIX: 'New: ' }).prefix).toBe('New: ');
  });

  it('reads the legacy DISCORD_WEBHOOK_USERNAME when DISCORD_USERNAME is unset, with a deprecation warning', () => {
    const warnings: string[] = [];
    const opts = discordOptionsFromEnv({ DISCORD_WEBHOOK_USERNAME: 'B' }, { warn: (m) => warnings.push(m) });
    expect(opts.username).toBe('B');
    expect(warnings).toEqual([
      expect.stringMatching(/DISCORD_WEBHOOK_USERNAME is deprecated; use DISCORD_USERNAME/),
    ]);
    expect(() => discordOptionsFromEnv({ DISCORD_WEBHOOK_USERNAME: 'B' })).not.toThrow();
  });

  it('names every bad variable in one error', () => {
    const err = configError(() =>
      discordOptionsFromEnv({ DISCORD_AVATAR_URL: 'ftp://a/x.png', JELLYFIN_URL: 'jellyfin.local:8096' }),
    );
    expect(err.code).toBe('config');
    expect(err.message).toMatch(
      /^Invalid environment \(2 problems\): DISCORD_AVATAR_URL: must be an http\(s\) URL.*; received "ftp:\/\/a\/x.png"/,
    );
    expect(err.message).toMatch(/JELLYFIN_URL: must be an http\(s\) URL/);
    expect(err.issues.map((i) => i.path)).toEqual(['DISCORD_AVATAR_URL', 'JELLYFIN_URL']);
  });

  it('is pure: it reads only the environment it is given', () => {
    const before = process.env.DISCORD_USERNAME;
    process.env.DISCORD_USERNAME = 'from-process-env';
    try {
      expect(discordOptionsFromEnv({}).username).toBe('PMOVES');
    } finally {
      if (before === undefined) delete process.env.DISCORD_USERNAME;
      else process.env.DISCORD_USERNAME = before;
    }
  });
});

describe('PUBLISHER_META_ENV_VARS', () => {
  it('lists every variable discordOptionsFromEnv reads, with its default and form', () => {
    expect(PUBLISHER_META_ENV_VARS.map((v) => v.name)).toEqual([
      'DISCORD_PUBLISH_PREFIX',
      'DISCORD_USERNAME',
      'DISCORD_WEBHOOK_USERNAME',
      'DISCORD_AVATAR_URL',
      'JELLYFIN_URL',
    ]);
    const byName = Object.fromEntries(PUBLISHER_META_ENV_VARS.map((v) => [v.name, v]));
    expect(byName.DISCORD_PUBLISH_PREFIX?.default).toBe('Published: ');
    expect(byName.DISCORD_USERNAME?.default).toBe('PMOVES');
    expect(byName.DISCORD_WEBHOOK_USERNAME?.deprecatedBy).toBe('DISCORD_USERNAME');
    expect(byName.DISCORD_AVATAR_URL?.form).toBe('http(s) URL');
    expect(byName.JELLYFIN_URL?.form).toBe('http(s) URL');
  });
});
