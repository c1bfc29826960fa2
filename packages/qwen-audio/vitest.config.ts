import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@pmoves/source'] },
  ssr: { resolve: { conditions: ['@pmoves/source'] } },
  test: {
    name: 'qwen-audio',
    include: ['src/**/*.test.ts'],
    // End-to-end CLI runs start PGlite and ffmpeg several times; the shared 2-core box can be busy.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
