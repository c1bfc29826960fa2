// The environment variables this package reads, as declarative fields (parser + documentation row), with
// PMOVES publisher-discord's names and defaults.
import { EnvReader, envString, envUrl, envVarInfo, type Env, type EnvVarInfo } from '@pmoves/internal';
import {
  DEFAULT_DISCORD_USERNAME,
  DEFAULT_PUBLISH_PREFIX,
  type DiscordFormatOptions,
} from '../discord/format';
import { PublisherMetaValidationError } from '../schemas/errors';

const fields = {
  prefix: envString('DISCORD_PUBLISH_PREFIX', 'embed title prefix; set but empty: no prefix', {
    default: DEFAULT_PUBLISH_PREFIX,
    form: 'text (read as written, spaces kept)',
  }),
  username: envString('DISCORD_USERNAME', 'webhook display name', {
    default: DEFAULT_DISCORD_USERNAME,
    aliases: [envString('DISCORD_WEBHOOK_USERNAME', 'webhook display name (legacy name)')],
  }),
  avatarUrl: envUrl('DISCORD_AVATAR_URL', 'webhook avatar image'),
  jellyfinBaseUrl: envUrl('JELLYFIN_URL', 'Jellyfin base URL of the deep link in the embed'),
};

/**
 * Every environment variable {@link discordOptionsFromEnv} reads: name, meaning, accepted form, default (the legacy
 * `DISCORD_WEBHOOK_USERNAME` has `deprecatedBy: 'DISCORD_USERNAME'`).
 */
export const PUBLISHER_META_ENV_VARS: readonly EnvVarInfo[] = envVarInfo(Object.values(fields));

/** Options of {@link discordOptionsFromEnv}. */
export interface FromEnvOptions {
  /** Receives each deprecation notice (the legacy `DISCORD_WEBHOOK_USERNAME`); none are printed otherwise. */
  warn?: (message: string) => void;
}

/**
 * Reads the `formatPublishedEmbed` options from `env` with PMOVES publisher-discord's names and defaults:
 * `DISCORD_PUBLISH_PREFIX` (default `"Published: "`; read as written, so a trailing space is kept and set but
 * empty means no prefix), `DISCORD_USERNAME` (then the legacy `DISCORD_WEBHOOK_USERNAME`; default `PMOVES`),
 * `DISCORD_AVATAR_URL` and `JELLYFIN_URL` (http(s) URLs; left out when unset). Pure: reads only `env` (pass
 * `process.env`).
 *
 * @throws {@link PublisherMetaValidationError} with code `config`, naming every bad variable at once.
 */
export function discordOptionsFromEnv(env: Env, opts?: FromEnvOptions): DiscordFormatOptions;
/**
 * Reads `process.env`: the earlier signature, kept so that existing callers compile.
 *
 * @deprecated Pass the environment: `discordOptionsFromEnv(process.env)`.
 */
export function discordOptionsFromEnv(): DiscordFormatOptions;
export function discordOptionsFromEnv(
  env: Env = process.env,
  opts: FromEnvOptions = {},
): DiscordFormatOptions {
  const reader = new EnvReader(env);
  // Python reads the prefix with os.environ.get: untrimmed, and "" is a value. The reader trims and treats
  // empty as unset, so the raw value is used here.
  const rawPrefix = env[fields.prefix.info.name];
  const out: DiscordFormatOptions = {
    prefix: rawPrefix ?? DEFAULT_PUBLISH_PREFIX,
    username: reader.get(fields.username),
  };
  const avatarUrl = reader.get(fields.avatarUrl);
  if (avatarUrl !== undefined) out.avatarUrl = avatarUrl;
  const jellyfinBaseUrl = reader.get(fields.jellyfinBaseUrl);
  if (jellyfinBaseUrl !== undefined) out.jellyfinBaseUrl = jellyfinBaseUrl;
  reader.finish(
    (_message, issues) =>
      new PublisherMetaValidationError(
        `environment (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'})`,
        issues.map((i) => ({ path: [i.variable], message: i.message })),
        [],
        'config',
      ),
  );
  for (const warning of reader.warnings) opts.warn?.(warning);
  return out;
}
