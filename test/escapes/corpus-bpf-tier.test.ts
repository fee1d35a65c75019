// The escape corpus in the bpf tier (the seccomp filter alone: ptrace refused), under the platform
// simulator (test/platform/simulate.mjs --variant seccomp-ok): every strict attempt with its
// kernel-tier profile plus `weakest_tier: bpf`. Every strict profile has an exec section, which the
// bpf tier cannot start (nothing could tell the launch's own exec from a later one): each run must
// end with syscage refusing to start (exit 71, saying why), never with the command running
// unsupervised. See test/escapes/README.md, "The other tiers".
import t from 'tap';
import { CORPUS } from './fixtures/corpus.js';
import { tierFile } from './fixtures/tiers.js';

await tierFile(t, import.meta.url, 'bpf', CORPUS);
