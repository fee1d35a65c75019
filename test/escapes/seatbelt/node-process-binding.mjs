// process.binding('fs'): the internal fs binding, below every wrapper.
import { env, error, escaped, step } from './_attempt.mjs';

const b = step("process.binding('fs')", () => process.binding('fs'));
if (typeof b.readFileUtf8 !== 'function') error(`process.binding('fs') has no readFileUtf8 in Node.js ${process.version}`);
const text = step('binding.readFileUtf8', () => b.readFileUtf8(env('SECRET'), 0));
escaped(`process.binding('fs').readFileUtf8 read ${text}`);
