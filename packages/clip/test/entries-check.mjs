// Child-process helper of src/build.test.ts, run on a build of the package: loads the `.`,
// `./fetch`, `./config` and `./server` entries of one format and prints what the test asserts, as JSON. With
// `block`, importing sharp or onnxruntime fails loudly, so an entry that pulls them in cannot pass.
//   node test/entries-check.mjs <distDir> <esm|cjs> [block]
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const [dist, format, block] = process.argv.slice(2);
const HEAVY = /^(sharp|onnxruntime-node|onnxruntime-common)(\/|$)/;
if (block) {
  // ESM: a resolve hook; CJS: Module._load. Both refuse the heavy packages.
  const hook = `export async function resolve(s, c, next) { if (${HEAVY}.test(s)) throw new Error('loaded ' + s); return next(s, c); }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const Module = createRequire(import.meta.url)('node:module');
  const load = Module._load;
  Module._load = function (request, ...rest) {
    if (HEAVY.test(request)) throw new Error(`loaded ${request}`);
    return load.call(this, request, ...rest);
  };
}
const ext = format === 'cjs' ? 'cjs' : 'js';
const require = createRequire(import.meta.url);
const get = async (name) =>
  format === 'cjs' ? require(`${dist}/${name}.${ext}`) : import(pathToFileURL(`${dist}/${name}.${ext}`).href);
const entries = block ? ['fetch', 'config', 'server'] : ['index', 'fetch', 'config', 'server'];
const mods = {};
for (const e of entries) mods[e] = await get(e);
const classes = entries.map((e) => mods[e].ClipError);
const err = new mods[entries[0]].ClipError('config', 'x', { issues: [{ variable: 'A', message: 'm' }] });
console.log(
  JSON.stringify({
    entries,
    sameClass: classes.every((c) => c === classes[0]),
    instanceofAcross: entries.every((e) => err instanceof mods[e].ClipError),
    issues: err.issues,
  }),
);
