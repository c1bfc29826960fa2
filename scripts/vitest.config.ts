import { defineProject } from 'vitest/config';

// Repository-level checks (the environment reference, cross-package contracts). Packages are imported from
// source, as in their own projects.
export default defineProject({
  resolve: { conditions: ['@pmoves/source'] },
  ssr: { resolve: { conditions: ['@pmoves/source'] } },
  test: { name: 'repo', include: ['*.test.ts'] },
});
