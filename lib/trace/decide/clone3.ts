// clone3(struct clone_args *args, size_t size): its flags are in memory, where
// the filter cannot read them, so clone3 never runs under syscage — it answers
// ENOSYS, and libc makes the thread or process with clone, whose flags the
// filter checks (CLONE_UNTRACED refused, process.fork). The supervisor reads
// the flags only to report a clone3 that asked for what clone would be refused:
// an untraced child, or a new process under process.fork: false. A thread's
// clone3 is the normal fallback path of glibc (every pthread_create), answered
// without a report.
import type { RuleRef, Trap } from '../types.js';
import { argU64, isFault } from './args.js';
import type { DecideContext } from './context.js';
import { broken, quiet, type CheckOutcome } from './outcome.js';

const ENOSYS = 38;
// linux/sched.h
const CLONE_THREAD = 0x10000n;
const CLONE_UNTRACED = 0x00800000n;

const RULE: RuleRef = { what: 'built-in: clone3 answers ENOSYS (libc then uses clone, whose flags the filter checks)' };

export function checkClone3(trap: Trap, ctx: DecideContext): CheckOutcome {
  // struct clone_args: __u64 flags first. An unreadable struct gets the same ENOSYS.
  const buf = ctx.view.readBytes(argU64(trap, 0), 8);
  if (isFault(buf)) return quiet(RULE, ENOSYS, 'clone3: its arguments cannot be read');
  const flags = buf.readBigUInt64LE(0);
  if ((flags & CLONE_UNTRACED) !== 0n) {
    return broken(RULE, ENOSYS, 'clone3 with CLONE_UNTRACED: a child the supervisor could not follow (refused; clone with the flag is refused too)');
  }
  if (!ctx.matchers.fork.allowed && (flags & CLONE_THREAD) === 0n) {
    return broken(ctx.matchers.fork.rule, ENOSYS, 'clone3 of a new process under process.fork: false (refused; libc retries with clone, refused too)');
  }
  return quiet(RULE, ENOSYS, 'clone3 of a thread: ENOSYS, libc uses clone');
}
