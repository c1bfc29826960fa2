/** NATS URL the example services connect to (PMOVES's `NATS_URL`, default the local server). */
export const natsUrl = (env: NodeJS.ProcessEnv = process.env): string =>
  env.NATS_URL ?? 'nats://127.0.0.1:4222';
