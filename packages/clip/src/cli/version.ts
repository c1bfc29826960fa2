// The package version for `--version`: read from the package.json above this module (src/cli/ in
// the repository, dist/ when installed), so it is never out of date.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `@pmoves/clip`'s version, or `0.0.0-unknown` when its package.json cannot be found. */
export function clipVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@pmoves/clip' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return '0.0.0-unknown';
}
