// Entry point: `tsx examples/jellyfin-audio-processor/src/cli.ts <command>` (see main.ts's USAGE).
import { log } from './log';
import { AudioProcessorError } from './errors';
import { main } from './main';

main(process.argv.slice(2), process.env).catch((err) => {
  const code = err instanceof AudioProcessorError ? err.code : 'error';
  log('error', (err as Error).message, { code });
  process.exit(code === 'config' ? 2 : 1);
});
