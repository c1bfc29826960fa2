import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@pmoves/source'] },
  ssr: { resolve: { conditions: ['@pmoves/source'] } },
  test: {
    name: 'clip',
    include: ['src/**/*.test.ts'],
    // Tiny CLIP models generated once for the whole suite (see scripts/generate-models.ts).
    globalSetup: ['test/global-setup.ts'],
    // Generous: the embedder tests run real sessions, and a shared 2-core machine can be slow.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
