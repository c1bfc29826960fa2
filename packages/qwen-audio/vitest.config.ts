import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@pmoves/source'] },
  ssr: { resolve: { conditions: ['@pmoves/source'] } },
  test: { name: 'qwen-audio', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
