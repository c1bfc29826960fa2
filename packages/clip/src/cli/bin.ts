#!/usr/bin/env node
// The `pmoves-clip` bin: serve | embed | info | pull | quantize | index.
import { main } from './main';

void main(process.argv.slice(2));
