# syscage — common tasks. `make help` lists them.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json

CDK_MODULES := cdk/node_modules/.package-lock.json

.PHONY: help build test test-cdk test-platform syscalls bench check-profiles clean layer test-arm64 test-arm64-mutation

help:
	@echo "make build           install dependencies (npm ci), compile TypeScript to dist/lib and bundle the CLI into dist/bundle"
	@echo "make test            build, then run the whole test suite (npm test), the CDK constructs' tests (make test-cdk) among them"
	@echo "make test-cdk        the CDK constructs in cdk/ (syscage-cdk): npm ci there, build, tap (template assertions, cdk synth of cdk/example offline)"
	@echo "make test-platform  (root) the Lambda platform simulator's refusals, checked against the real kernel (test/platform/)"
	@echo "make syscalls        regenerate lib/arch/syscalls.csv from the pinned kernel headers and refresh profiles/schema.json"
	@echo "make bench           benchmarks (bench/README.md): prints a table"
	@echo "make check-profiles  syscage check on every shipped profile"
	@echo "make layer ARCH=x86_64|arm64  the Lambda layer dist/syscage-layer-<arch>.zip (Node.js 26 LTS from npm, deterministic)"
	@echo "make test-arm64      the arm64 layer on a real arm64 kernel (qemu VM, set up when missing): compile, run, invoke, doctor; ends with N passed, N failed"
	@echo "make test-arm64-mutation  proves test-arm64 bites: with the arm64 deny path broken in a copy of the layer, the suite must fail"

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund

build: $(NODE_MODULES)
	npm run build

# The whole suite (the kernel tier under its preferred backend: seccomp user notification where
# the kernel allows it), then the kernel-tier suites again under the ptrace backend, then the CDK
# constructs' tests (test-cdk: a third tap run), then the escape corpus's summary
# (test/escapes/README.md), last line "kernel (B backend): N attempts, N blocked, N escaped";
# fails when a run fails or the corpus left no results.
PTRACE_PASS = test/run/*.test.ts test/trace/*.test.ts test/dns/egress.test.ts test/escapes/corpus-paths.test.ts \
	test/escapes/corpus-races.test.ts test/escapes/corpus-syscalls.test.ts test/escapes/corpus-default-allow.test.ts
test: $(NODE_MODULES)
	@rm -f test/escapes/out/results/*.json
	@status=0; npm test || status=$$?; \
	echo "# the kernel-tier suites again, under the ptrace backend (SYSCAGE_BACKEND=ptrace)"; \
	SYSCAGE_BACKEND=ptrace npx tap $(PTRACE_PASS) || status=$$?; \
	$(MAKE) --no-print-directory test-cdk || status=$$?; \
	node test/escapes/summary.mjs || status=1; exit $$status

# The CDK constructs (cdk/, its own npm package): their own dependencies (aws-cdk-lib, constructs,
# the aws-cdk CLI), build, then tap (cdk/test/: template assertions, `cdk synth` of cdk/example
# offline, the example's function served by `syscage invoke`, which needs the root's build).
$(CDK_MODULES): cdk/package.json cdk/package-lock.json
	cd cdk && npm ci --no-audit --no-fund

test-cdk: $(NODE_MODULES) $(CDK_MODULES)
	@test -f dist/bundle/cli/entry.js || npm run build
	cd cdk && npm run build && npx tap

# The Lambda platform simulator (test/platform/simulate.mjs): each variant's refusals, checked
# against the real kernel. Needs root (it installs a filter without no_new_privs, then uid 993).
# The test files by name: given the folder, tap would also run simulate.mjs itself, as a test.
test-platform: build
	npx tap test/platform/*.test.ts

# Just the escape corpus (test/escapes/corpus-*.test.ts), then its summary.
.PHONY: escapes
escapes: build
	@rm -f test/escapes/out/results/*.json
	@status=0; npx tap test/escapes/corpus-*.test.ts || status=$$?; node test/escapes/summary.mjs || status=1; exit $$status

# Needs the Debian packages linux-libc-dev-amd64-cross and linux-libc-dev-arm64-cross
# (6.1.4-1cross1, the pinned source; .ci/run installs them).
# gen-syscall-types reads this kernel's syscall declarations (tracefs, root).
syscalls: build
	node scripts/gen-syscalls.mjs
	node scripts/gen-syscall-types.mjs
	node dist/scripts/update-schema.js

# One topic, or fewer runs: make bench BENCH_ARGS="--only seatbelt --quick" (bench/README.md).
bench: build
	node dist/bench/run.js $(BENCH_ARGS)

check-profiles: build
	bin/syscage check profiles/*.yaml profiles/examples/*.yaml

# The Lambda layer: bootstrap, bin/node (Node.js 26 LTS, npm node-linux-<arch>; pinned in the script),
# lib/libatomic.so.1 (which that node links; from this machine's libatomic1 / libatomic1-arm64-cross),
# syscage/ (dist, profiles, production node_modules with koffi's binary for that arch only).
# Downloads are cached in dist-layer/cache/.
ARCH ?= x86_64
layer: build
	node scripts/build-layer.mjs --arch $(ARCH)

# syscage on a real arm64 kernel (issue 8): builds the arm64 layer, boots the arm64 VM of
# scripts/arm64/vm once (setup-arm64.sh when $$ARM64_HOME, default /tmp/arm64-vm, has none)
# and runs test-arm64/ inside it with the layer's own node. Options: scripts/arm64/lib.sh.
test-arm64:
	bash scripts/arm64/test-arm64.sh

test-arm64-mutation:
	bash scripts/arm64/mutation-check.sh

clean:
	rm -rf dist .tap bench/out
