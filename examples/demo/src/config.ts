// The demo's own variables; the packages' variables it passes on are validated by the packages.
import { EnvReader, envBoolean, envString, envUrl, type Env } from '@pmoves/internal';
import { isQwenAudioError, qwenAudioOptionsFromEnv } from '@pmoves/qwen-audio';
import { absorb, ExampleConfigError } from '../../common/src/env';

/** Variables only the demo reads. */
export const DEMO_FIELDS = {
  outputDir: envString('DEMO_OUTPUT_DIR', 'where the demo writes discord-embed.html/.png', {
    defaultText: 'demo-output/ at the repository root',
    form: 'directory',
  }),
  verbose: envBoolean('DEMO_VERBOSE', "print the services' info logs during the demo", { default: false }),
  chrome: envString('CHROME_PATH', 'Chromium for the embed screenshot (default: the usual install paths)', {
    form: 'file',
  }),
  nats: envString(
    'NATS_URL',
    'demo: a NATS server to use instead of the in-process bus (unset: in-process)',
    {
      form: 'nats:// URL',
    },
  ),
  webhook: envUrl('DISCORD_WEBHOOK_URL', 'demo: also post the embed there (unset: not posted)', {
    secret: true,
  }),
} as const;

/** The demo's validated settings. */
export interface DemoConfig {
  outputDir: string | undefined;
  verbose: boolean;
  natsUrl: string | undefined;
  webhookUrl: string | undefined;
}

/** @throws ExampleConfigError naming every bad variable. */
export function loadDemoConfig(env: Env): DemoConfig {
  const r = new EnvReader(env);
  const cfg = {
    outputDir: r.get(DEMO_FIELDS.outputDir),
    verbose: r.get(DEMO_FIELDS.verbose),
    natsUrl: r.get(DEMO_FIELDS.nats),
    webhookUrl: r.get(DEMO_FIELDS.webhook),
  };
  r.get(DEMO_FIELDS.chrome);
  if (r.has('QWEN_AUDIO_URL'))
    absorb(r, '@pmoves/qwen-audio', () => qwenAudioOptionsFromEnv({ ...env }), isQwenAudioError);
  r.finish((message, issues) => new ExampleConfigError(message, issues));
  return cfg;
}
