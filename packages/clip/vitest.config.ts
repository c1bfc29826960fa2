import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@pmoves/source'] },
  ssr: { resolve: { conditions: ['@pmoves/source'] } },
  test: {
    name: 'clip',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tiny CLIP models generated once for the whole suite (see scripts/generate-models.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
