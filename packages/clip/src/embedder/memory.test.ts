// Memory after a burst (issue #17.7), measured in a child process so the figure is that process's
// own resident set and nothing else of the test run. The only time in it is the documented idle
// release of pooled batch buffers.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LAYOUT_DIR } from '../../test/models';

const run = promisify(execFile);

describe('memory after a burst', () => {
  it('5 s after 60 concurrent embedImages calls of 32 images, RSS is within 400 MiB of before', async () => {
    const helper = resolve(__dirname, '../../test/burst-rss.ts');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', helper, LAYOUT_DIR.split, '60', '32', '5000'],
      {
        timeout: 240_000,
        maxBuffer: 1 << 20,
      },
    );
    const m = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      before: number;
      peak: number;
      after: number;
      failed: number;
    };
    expect(m.failed).toBe(0);
    expect(m.after - m.before, JSON.stringify(m)).toBeLessThan(400);
  }, 300_000);
});
