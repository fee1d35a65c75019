// module.registerHooks: a load hook gets the denied file's source from Node's own module loader
// (which reads files itself), then it is imported as a string.
import module from 'node:module';
import { pathToFileURL } from 'node:url';
import { env, error, escaped, stepAsync, step } from './_attempt.mjs';

if (typeof module.registerHooks !== 'function') error(`module.registerHooks is missing in Node.js ${process.version}`);
const target = pathToFileURL(env('SECRET')).href;
step('module.registerHooks', () => module.registerHooks({
  load(url, context, nextLoad) {
    if (url !== target) return nextLoad(url, context);
    const r = nextLoad(url, { ...context, format: 'module' });
    return { format: 'module', source: `export default ${JSON.stringify(String(r.source))};`, shortCircuit: true };
  },
}));
const m = await stepAsync('import(secret) through the load hook', () => import(target));
escaped(`the module loader read ${m.default}`);
