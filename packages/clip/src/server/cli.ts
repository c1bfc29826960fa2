// pmoves-clip-server: placeholder until the embedding server lands.
console.error('pmoves-clip-server: not built yet');
process.exit(1);
