#!/usr/bin/env bash
# make test-arm64-mutation — proves that `make test-arm64` bites: the arm64 deny path is broken on
# purpose in a COPY of the unpacked layer, and the in-VM suite must then FAIL.
#
# The mutation: in the copy's syscage/dist/lib/native/ptrace.js and in the bundle's chunk that holds
# the same function (dist/bundle: what the layer's bootstrap and the suite's `syscage` load),
# denySteps() no longer returns its aarch64 step that writes -errno into x0 (the syscall is still
# skipped via NT_ARM_SYSTEM_CALL -1).
# A refused call then returns whatever x0 held: its first argument (openat(AT_FDCWD, …) "fails"
# with ENETDOWN, -100; openat(dirfd, …) "succeeds" with the dirfd). Nothing in the repository is
# changed.
#
# Succeeds (exit 0) only when the suite ran to its summary, reported failures, and among them the
# check that a refused open is EPERM inside the command. A VM that does not boot, a suite that
# crashes or a mutation that cannot be applied (the code changed) is a failure of this check.
# Areas: ARM64_MUTATION_AREAS (default run,doctor: where the deny path is exercised).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap cleanup_work EXIT

t0=$(now)
ensure_vm && check_host && build_layer && prepare_work || { say "mutation: preparing failed"; exit 1; }

# Every compiled copy of denySteps(): the module, and the bundle's chunk.
mapfile -t targets < <(grep -rl --include='*.js' 'function denySteps(' "$WORK/layer/syscage/dist" | sort)
case " ${targets[*]} " in
  *"/dist/lib/native/ptrace.js "*) ;;
  *) say "mutation: no denySteps() in dist/lib/native/ptrace.js (has lib/native/ptrace.ts changed?)"; exit 1 ;;
esac
case " ${targets[*]} " in
  *"/dist/bundle/"*) ;;
  *) say "mutation: no denySteps() in dist/bundle (is the layer's bundle built?)"; exit 1 ;;
esac
for target in "${targets[@]}"; do
node - "$target" <<'JS' || { say "mutation: cannot apply the mutation to $target (has lib/native/ptrace.ts changed?)"; exit 1; }
const { readFileSync, writeFileSync } = require('node:fs');
const file = process.argv[2];
const src = readFileSync(file, 'utf8');
const start = src.indexOf('function denySteps(');
if (start < 0) throw new Error(`no denySteps() in ${file}`);
// The function ends at the first line that is exactly "}" after its start.
const end = src.indexOf('\n}\n', start);
const fn = src.slice(start, end + 3);
const lines = fn.split('\n');
const x0 = lines.filter((l) => /op:\s*['"]x0['"]/.test(l));
if (x0.length !== 1) throw new Error(`expected one x0 step in denySteps() of ${file}, found ${x0.length}`);
const mutated = lines.filter((l) => !/op:\s*['"]x0['"]/.test(l)).join('\n');
writeFileSync(file, src.slice(0, start) + mutated + src.slice(end + 3));
console.error(`mutation: removed from denySteps() (aarch64) in ${file.replace(/^.*\/syscage\//, 'syscage/')}: ${x0[0].trim()}`);
JS
node --check "$target" || { say "mutation: the mutated $target does not parse"; exit 1; }
grep -qE "op: ['\"]x0['\"]" "$target" && { say "mutation: the x0 step is still in $target"; exit 1; }
done

ARM64_AREAS=${ARM64_MUTATION_AREAS:-run,doctor} QUIET=1 run_suite
t1=$(now)
say "mutation: VM run $(secs "$t0" "$t1") s"
if [ -z "$SUMMARY" ]; then
  say "mutation check FAILED: the suite did not finish (no summary line, status $VM_RC): that proves nothing"
  tail -n 20 "$WORK/output.log" >&2
  exit 1
fi
say "with the mutation the suite says: $SUMMARY; failing checks:"
grep -E '^not ok [0-9]+ - ' "$WORK/output.log" | sed 's/^/  /' >&2
key='^not ok [0-9]+ - run \(ptrace\): open of a file in files\.deny is refused with EPERM inside the command'
if grep -qE "$key" "$WORK/output.log"; then
  seen=$(awk -v re="$key" '$0 ~ re { on = 1; next } on && /^  got:/ { getline; sub(/^ +/, ""); print; exit }' "$WORK/output.log")
  say "mutation check passed: the suite caught the broken arm64 deny path (the refused open returned: ${seen:-?})"
  exit 0
fi
say "mutation check FAILED: the suite did not catch the broken arm64 deny path"
exit 1
