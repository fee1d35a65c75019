// How the Lambda layer's /opt/bootstrap starts syscage (scripts/build-layer.mjs writes it; the
// cold-start benchmark starts the bootstrap the same way).

/** The bundle's CLI entry, relative to the package root. */
export const BOOTSTRAP_ENTRY = 'dist/bundle/cli/entry.js';

/**
 * Node.js flags of the bootstrap's process. A young generation of at most 1 MiB per semi-space
 * (V8's default grows to 16): the supervisor allocates little and keeps less, and every MiB of
 * it counts against the function's memory (7 MiB less RssAnon at its peak, measured by
 * `make bench BENCH_ARGS="--only coldstart"`).
 */
export const BOOTSTRAP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
