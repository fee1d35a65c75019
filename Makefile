# syscage — common tasks. `make help` lists them.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json

.PHONY: help build test syscalls bench check-profiles clean layer

help:
	@echo "make build           install dependencies (npm ci) and compile TypeScript to dist/"
	@echo "make test            build, then run the whole test suite (npm test)"
	@echo "make syscalls        regenerate lib/arch/syscalls.csv from the pinned kernel headers and refresh profiles/schema.json"
	@echo "make bench           benchmarks (bench/README.md): prints a table"
	@echo "make check-profiles  syscage check on every shipped profile"
	@echo "make layer ARCH=x86_64|arm64  the Lambda layer dist/syscage-layer-<arch>.zip (node 20 from npm, deterministic)"

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund

build: $(NODE_MODULES)
	npx tsc -p tsconfig.json

test: $(NODE_MODULES)
	npm test

# Needs the Debian packages linux-libc-dev-amd64-cross and linux-libc-dev-arm64-cross
# (6.1.4-1cross1, the pinned source; .ci/run installs them).
# gen-syscall-types reads this kernel's syscall declarations (tracefs, root).
syscalls: build
	node scripts/gen-syscalls.mjs
	node scripts/gen-syscall-types.mjs
	node dist/scripts/update-schema.js

bench: build
	node dist/bench/run.js

check-profiles: build
	bin/syscage check profiles/*.yaml profiles/examples/*.yaml

# The Lambda layer: bootstrap, bin/node (npm node-linux-<arch>), syscage/ (dist, profiles, production
# node_modules with koffi's binary for that arch only). Downloads are cached in dist-layer/cache/.
ARCH ?= x86_64
layer: build
	node scripts/build-layer.mjs --arch $(ARCH)

clean:
	rm -rf dist .tap bench/out
