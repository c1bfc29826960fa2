// Text imports: vite (vitest) understands `?raw` natively; tsup gets an esbuild plugin for it.
declare module '*?raw' {
  const text: string;
  export default text;
}
