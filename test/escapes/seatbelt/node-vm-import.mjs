// vm: a fresh context (its own intrinsics, none of them poisoned or wrapped) whose dynamic import
// of node:fs goes through the main context's loader; the read happens inside the context.
import vm from 'node:vm';
import { env, error, escaped, stepAsync } from './_attempt.mjs';

const loader = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
if (loader === undefined) error(`vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER is missing in Node.js ${process.version}`);
const ctx = vm.createContext({ secret: env('SECRET') });
const script = new vm.Script('import("node:fs").then((fs) => fs.readFileSync(secret, "utf8"))', { importModuleDynamically: loader });
const text = await stepAsync('fs.readFileSync inside a vm context', () => script.runInContext(ctx));
escaped(`a vm context read ${text}`);
