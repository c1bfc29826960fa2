import { defineConfig } from 'vitest/config';

// One run over every package; each package's own vitest.config.ts defines its project.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples', 'scripts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
