#!/usr/bin/env node
// `pmoves-clip-server`: an alias of `pmoves-clip serve` (same flags, same environment);
// `--version` is the program's.
import { main } from '../cli/main';

const args = process.argv.slice(2);
void main(args.includes('--version') || args.includes('-V') ? args : ['serve', ...args]);
