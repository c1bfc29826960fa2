/**
 * Every environment variable the example services, the demo and the smoke commands read
 * themselves (the packages' own variables are in each package's list), for the documentation
 * check against docs/LOCAL_TOOLING_REFERENCE.md.
 */
import { envString, envVarInfo, type EnvField, type EnvVarInfo } from '@pmoves/internal';
import { DEMO_FIELDS } from './demo/src/config';
import { FIELDS as AUDIO_PROCESSOR_FIELDS } from './jellyfin-audio-processor/src/config';
import { GATEWAY_FIELDS } from './hi-rag-gateway/src/config';
import { DISCORD_FIELDS, NATS_URL_FIELD, PUBLISHER_FIELDS } from './publisher/src/config';
import { SMOKE_CLIP_FIELDS } from './smoke/src/clip-check';

/** `PMOVES_EXAMPLES_QUIET` (read by the logger). */
const QUIET = envString('PMOVES_EXAMPLES_QUIET', 'drops info log lines (tests)', { form: '`1`' });

const fields = (o: Record<string, EnvField<unknown, unknown>>) => Object.values(o);

const all = envVarInfo([
  NATS_URL_FIELD,
  QUIET,
  ...fields(GATEWAY_FIELDS),
  ...fields(PUBLISHER_FIELDS),
  ...fields(DISCORD_FIELDS),
  ...fields(SMOKE_CLIP_FIELDS),
  ...fields(DEMO_FIELDS),
  ...fields(AUDIO_PROCESSOR_FIELDS),
]);

/** The variables, each once (the first description wins: NATS_URL and DISCORD_WEBHOOK_URL are shared). */
export const EXAMPLES_ENV_VARS: readonly EnvVarInfo[] = all.filter(
  (v, i) => all.findIndex((w) => w.name === v.name) === i,
);
