#!/usr/bin/env bash
# make test-arm64 — syscage verified on a real arm64 kernel (issue 8).
#
# 1. prepare (cached): the arm64 VM (setup-arm64.sh when missing), the arm64 layer from the current
#    sources (make layer ARCH=arm64), unpacked into a fresh work directory with the static aarch64
#    test programs (aarch64-linux-gnu-gcc -static test-arm64/c/*.c) and the suite (test-arm64/*.mjs)
# 2. boot the VM once; inside, the layer is copied to /opt and test-arm64/main.mjs runs with the
#    layer's own node: compile, run, invoke, doctor (one line per check)
# 3. the last line is the runner's "N passed, N failed"; exit 1 when a check failed, and when the
#    VM or the runner broke (no summary: that is one more failure, never a success)
#
# Options: see scripts/arm64/lib.sh (ARM64_HOME, ARM64_AREAS, ARM64_KEEP, ARM64_CPU...).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap cleanup_work EXIT

t0=$(now)
ensure_vm && check_host && build_layer && prepare_work || { echo "0 passed, 1 failed"; exit 1; }
t1=$(now)
run_suite
t2=$(now)
say "prepare $(secs "$t0" "$t1") s, VM $(secs "$t1" "$t2") s, total $(secs "$t0" "$t2") s"
if [ -z "$SUMMARY" ]; then
  say "FAILED: the suite did not finish (no summary line; VM/run-arm64.sh status $VM_RC). Rerun with ARM64_VERBOSE=1 for the boot log."
  echo "$OKS passed, $((NOTOKS + 1)) failed"
  exit 1
fi
failed=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$SUMMARY")
if [ "$failed" -eq 0 ] && [ "$VM_RC" -ne 0 ]; then
  # Every check passed but the runner (or the VM) ended badly: that is a failure too.
  say "FAILED: the runner exited with status $VM_RC after its summary"
  echo "$(sed -E 's/ passed.*//' <<<"$SUMMARY") passed, 1 failed"
  exit 1
fi
echo "$SUMMARY"
[ "$failed" -eq 0 ]
