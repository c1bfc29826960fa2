import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { resolve: ['@pmoves/internal'] },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Our private helpers are bundled in: published packages depend on nothing of ours.
  noExternal: ['@pmoves/internal'],
});
