# scripts/arm64/lib.sh — sourced by test-arm64.sh and mutation-check.sh: prepare the arm64 VM,
# the arm64 layer and the test programs, and run the in-VM suite (test-arm64/main.mjs) in the VM.
#
# Environment (all optional):
#   ARM64_HOME      where the VM lives (kernel, initramfs, run-arm64.sh); default /tmp/arm64-vm.
#                   Built by scripts/arm64/vm/setup-arm64.sh when missing (~1 min, apt + Debian).
#   ARM64_TOOLS     the VM tools (setup-arm64.sh, run-arm64.sh); default scripts/arm64/vm (the project's copy of the VM tools, kept
#                   here so that a clean clone on a fresh machine has them)
#   ARM64_CPU       qemu CPU model; default neoverse-n1 (Graviton2's core; boots faster under TCG
#                   than "max", whose pointer authentication is emulated in software)
#   ARM64_SMP       vCPUs (default 2), ARM64_MEM MB (default 2048), ARM64_TIMEOUT s (default 1200)
#   ARM64_AREAS     which areas of the suite to run (compile,run,invoke,doctor; default all)
#   ARM64_KEEP=1    keep the work directory (the unpacked layer, programs, output.log, and scratch/:
#                   the profiles, logs and files of the checks)
#   ARM64_NO_BUILD=1  use dist/syscage-layer-arm64.zip as it is (do not run make layer)
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ARM64_HOME=$(realpath -m "${ARM64_HOME:-/tmp/arm64-vm}")
ARM64_TOOLS=${ARM64_TOOLS:-$ROOT/scripts/arm64/vm}
export ARM64_HOME
SUMMARY_RE='^[0-9]+ passed, [0-9]+ failed$'

say() { echo "test-arm64: $*" >&2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

# The VM (kernel + initramfs + run-arm64.sh) and the host tools it needs; setup when missing.
ensure_vm() {
  local missing=()
  for f in kernel/boot/vmlinuz initrd.gz run-arm64.sh; do [ -e "$ARM64_HOME/$f" ] || missing+=("$ARM64_HOME/$f"); done
  for c in qemu-system-aarch64 aarch64-linux-gnu-gcc; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "setting up the arm64 VM in $ARM64_HOME (missing: ${missing[*]})"
  if [ ! -f "$ARM64_TOOLS/setup-arm64.sh" ]; then
    say "cannot set it up: $ARM64_TOOLS/setup-arm64.sh does not exist (set ARM64_TOOLS)"
    return 1
  fi
  # The layer brings its own node: the VM does not need the setup's copy.
  WITH_NODE=0 bash "$ARM64_TOOLS/setup-arm64.sh" "$ARM64_HOME" || { say "setup-arm64.sh failed"; return 1; }
}

# What the host needs to build the test programs and boot the VM, each checked on its own so that
# a missing one is named in one line with the Debian package that brings it (.ci/run installs them
# all), instead of a compiler error further on.
check_host() {
  local probe rc=0
  command -v qemu-system-aarch64 >/dev/null || { say "missing qemu-system-aarch64 (Debian package qemu-system-arm)"; rc=1; }
  if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    say "missing aarch64-linux-gnu-gcc (Debian package gcc-aarch64-linux-gnu)"; return 1
  fi
  # The test programs are static: they need the arm64 C library's headers and libc.a.
  probe=$(mktemp -d)
  printf '#include <stdio.h>\n#include <pthread.h>\nint main(void) { return puts("ok") < 0; }\n' >"$probe/p.c"
  if ! aarch64-linux-gnu-gcc -static -pthread -o "$probe/p" "$probe/p.c" 2>/dev/null; then
    say "missing the arm64 C library headers and libc.a (Debian package libc6-dev-arm64-cross): aarch64-linux-gnu-gcc cannot build a static program"
    rc=1
  fi
  rm -rf "$probe"
  return $rc
}

# dist/syscage-layer-arm64.zip, freshly built from the current sources (make layer ARCH=arm64).
build_layer() {
  if [ "${ARM64_NO_BUILD:-0}" = 1 ] && [ -f "$ROOT/dist/syscage-layer-arm64.zip" ]; then return 0; fi
  make -s -C "$ROOT" layer ARCH=arm64 >&2 || { say "make layer ARCH=arm64 failed"; return 1; }
}

# WORK: a fresh directory shared into the VM with the unpacked layer, the test programs
# (static aarch64), the suite and the guest script. Sets WORK.
prepare_work() {
  WORK=$(mktemp -d /tmp/syscage-arm64.XXXXXX)
  node "$ROOT/scripts/arm64/unzip.mjs" "$ROOT/dist/syscage-layer-arm64.zip" "$WORK/layer" || { say "cannot unpack the layer"; return 1; }
  mkdir -p "$WORK/bin" "$WORK/tests"
  # The Node.js version the layer is pinned to (scripts/build-layer.mjs's NODE_VERSION, as
  # build_layer used it): the suite checks that the layer's bin/node is exactly that one.
  # (The path goes in the environment: as process.argv[1] the script would take itself for the main module.)
  BUILD_LAYER="$ROOT/scripts/build-layer.mjs" node --input-type=module -e "console.log((await import(process.env.BUILD_LAYER)).NODE_VERSION)" >"$WORK/node-version" \
    || { say "cannot read NODE_VERSION from scripts/build-layer.mjs"; return 1; }
  cp "$ROOT"/test-arm64/*.mjs "$ROOT/test/fixtures/compile/kernel-specs.mjs" "$WORK/tests/"
  cp "$ROOT/scripts/arm64/guest.sh" "$WORK/"
  [ "${ARM64_KEEP:-0}" = 1 ] && touch "$WORK/keep"
  local pids=() p rc=0
  # The static Lambda runtime is the x86_64 suite's own (test/profiles/static-binary.test.ts).
  for src in "$ROOT"/test-arm64/c/*.c "$ROOT"/test/fixtures/profiles/static-runtime.c; do
    p=$(basename "$src" .c)
    aarch64-linux-gnu-gcc -static -O1 -Wall -Werror -pthread -o "$WORK/bin/$p" "$src" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ $rc -eq 0 ] || say "cross-compiling test-arm64/c/*.c and static-runtime.c failed"
  return $rc
}

cleanup_work() {
  if [ -n "${WORK:-}" ] && [ "${ARM64_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; elif [ -n "${WORK:-}" ]; then say "kept $WORK"; fi
}

# Boots the VM once and runs the suite in it, with output live (the summary line held back;
# QUIET=1: nothing shown).
# Sets VM_RC (the guest command's or run-arm64.sh's status), SUMMARY (the runner's last line, or
# empty), OKS / NOTOKS (check lines seen). Output also in $WORK/output.log.
run_suite() {
  local areas=${ARM64_AREAS:-}
  local args=()
  [ -n "$areas" ] && args=(--only "$areas")
  ARM64_CPU=${ARM64_CPU:-neoverse-n1} ARM64_SMP=${ARM64_SMP:-2} ARM64_MEM=${ARM64_MEM:-2048} ARM64_TIMEOUT=${ARM64_TIMEOUT:-1200} \
    "$ARM64_HOME/run-arm64.sh" "$WORK" sh "$WORK/guest.sh" "$WORK" "${args[@]}" 2>&1 \
    | tee "$WORK/output.log" | awk -v re="$SUMMARY_RE" -v quiet="${QUIET:-0}" '$0 !~ re && quiet != 1 { print; fflush() }'
  VM_RC=${PIPESTATUS[0]}
  SUMMARY=$(grep -E "$SUMMARY_RE" "$WORK/output.log" | tail -n 1)
  OKS=$(grep -cE '^ok [0-9]+ - ' "$WORK/output.log")
  NOTOKS=$(grep -cE '^not ok [0-9]+ - ' "$WORK/output.log")
}
