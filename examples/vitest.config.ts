import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@pmoves/source'] },
  ssr: { resolve: { conditions: ['@pmoves/source'] } },
  test: {
    name: 'examples',
    include: ['*/src/**/*.test.ts'],
    // The tiny CLIP model is generated once for the whole run (test/models.ts).
    globalSetup: ['test/global-setup.ts'],
    // Services, PGlite, ffmpeg and onnxruntime start in these tests; the 2-core box is shared.
    testTimeout: 60_000,
    // The files share one NATS server and PMOVES's fixed subjects: run them one at a time so one
    // file's services never answer another file's events.
    fileParallelism: false,
    hookTimeout: 120_000,
  },
});
