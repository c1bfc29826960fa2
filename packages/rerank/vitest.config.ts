import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@pmoves/source'] },
  ssr: { resolve: { conditions: ['@pmoves/source'] } },
  test: {
    name: 'rerank',
    include: ['src/**/*.test.ts'],
    // A tiny generated CLIP model for the CLIP provider's real-embedder tests.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
  },
});
