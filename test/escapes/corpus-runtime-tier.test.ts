// The escape corpus in the runtime tier (no seccomp filter, no ptrace: AWS Lambda as it is), run
// under the platform simulator (test/platform/simulate.mjs --variant nnp0): every strict attempt
// with its kernel-tier profile plus `weakest_tier: runtime`. Each is blocked, killed after the fact
// by the process monitor, or escaped; escapes are the tier's documented limits and do not fail the
// suite, a run that cannot be classified does. See test/escapes/README.md, "The other tiers".
import t from 'tap';
import { CORPUS } from './fixtures/corpus.js';
import { tierFile } from './fixtures/tiers.js';

await tierFile(t, import.meta.url, 'runtime', CORPUS);
