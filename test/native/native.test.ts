// The native layer against the running kernel. Nothing here changes the test process itself: no
// filter is installed and no_new_privs is left alone (test/compile/kernel.test.ts does both, in a
// child process).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { constantValue } from '../../lib/arch/constants.js';
import { errnoNumber } from '../../lib/arch/errno.js';
import { hostArch, syscallTable } from '../../lib/arch/index.js';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
} from '../../lib/bpf/index.js';
import {
  NativeError, PR_GET_NO_NEW_PRIVS, PR_SET_NO_NEW_PRIVS, SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
  SECCOMP_GET_ACTION_AVAIL, SECCOMP_SET_MODE_FILTER, installFilter, isNativeError, noNewPrivs, prctl, rawSyscall,
  seccompActionAvailable, syscallNumber,
} from '../../lib/native/index.js';

const ENOSYS = errnoNumber('ENOSYS')!;
const EINVAL = errnoNumber('EINVAL')!;

t.test('rawSyscall', async (t) => {
  t.same(rawSyscall(syscallNumber('getpid')), { ret: BigInt(process.pid), errno: 0 }, 'getpid is our pid');
  t.same(rawSyscall(syscallNumber('getppid')), { ret: BigInt(process.ppid), errno: 0 }, 'getppid is our parent');
  t.same(rawSyscall(100_000), { ret: -BigInt(ENOSYS), errno: ENOSYS }, 'a number no kernel has: ENOSYS, ret -errno');
  t.same(rawSyscall(-1), { ret: -BigInt(ENOSYS), errno: ENOSYS }, 'nr -1 (what a tracer sets to skip a call): ENOSYS');
  // Arguments a syscall ignores are harmless, whatever their size or sign.
  t.same(rawSyscall(syscallNumber('getpid'), 2n ** 64n - 1n, -1, 0x1234_5678_9abc_def0n, 0, 0, 0).ret, BigInt(process.pid));

  t.throws(() => rawSyscall(syscallNumber('getpid'), 2n ** 64n), RangeError, 'more than 64 bits');
  t.throws(() => rawSyscall(syscallNumber('getpid'), -(2n ** 63n) - 1n), RangeError, 'less than -2^63');
  t.throws(() => rawSyscall(syscallNumber('getpid'), 2 ** 53), RangeError, 'an unsafe number must be a bigint');
  t.throws(() => rawSyscall(syscallNumber('getpid'), 0, 0, 0, 0, 0, 0, 0), RangeError, 'seven arguments');
  t.throws(() => rawSyscall(1.5), RangeError);
});

t.test('syscallNumber reads the host column of the table', async (t) => {
  const table = syscallTable();
  for (const name of ['seccomp', 'prctl', 'exit_group', 'ptrace', 'process_vm_readv']) {
    t.equal(syscallNumber(name), table.number(hostArch(), name), name);
  }
  t.equal(syscallNumber('seccomp'), hostArch() === 'x86_64' ? 317 : 277);
  t.throws(() => syscallNumber('no_such_call'), RangeError);
});

t.test('seccompActionAvailable', async (t) => {
  const actions: [string, number][] = [
    ['ALLOW', SECCOMP_RET_ALLOW], ['TRACE', SECCOMP_RET_TRACE], ['KILL_PROCESS', SECCOMP_RET_KILL_PROCESS],
    ['KILL_THREAD', SECCOMP_RET_KILL_THREAD], ['LOG', SECCOMP_RET_LOG], ['USER_NOTIF', SECCOMP_RET_USER_NOTIF],
    ['ERRNO', SECCOMP_RET_ERRNO], ['TRAP', SECCOMP_RET_TRAP],
  ];
  for (const [name, action] of actions) t.equal(seccompActionAvailable(action), true, `${name} (kernel 6.18 has every action)`);
  t.equal(seccompActionAvailable(0x1234_0000), false, 'an action no kernel defines: EOPNOTSUPP, false');
  t.throws(() => seccompActionAvailable(-1), RangeError);
});

t.test('prctl', async (t) => {
  const nnp = prctl(PR_GET_NO_NEW_PRIVS);
  t.ok(nnp === 0 || nnp === 1, 'PR_GET_NO_NEW_PRIVS answers 0 or 1');
  t.equal(noNewPrivs(), nnp === 1, 'the status file agrees with prctl');

  const err = t.throws(() => prctl(0xdead)) as unknown;
  t.ok(isNativeError(err, EINVAL), 'an unknown option: NativeError EINVAL');
  t.match(err, { name: 'NativeError', code: 'ERR_NATIVE', errno: EINVAL, syscall: 'prctl(57005)' });
  t.ok(err instanceof NativeError);
  t.notOk(isNativeError(new Error('x')));
  t.notOk(isNativeError(Object.assign(new NativeError('prctl(1)', 1), { code: 'ERR_OTHER' })));
  t.throws(() => prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0), RangeError, 'five arguments after the option');
});

t.test('noNewPrivs parses a status file', async (t) => {
  t.equal(noNewPrivs('Name:\tnode\nNoNewPrivs:\t1\nSeccomp:\t2\n'), true);
  t.equal(noNewPrivs('Name:\tnode\nNoNewPrivs:\t0\nSeccomp:\t0\n'), false);
  t.equal(noNewPrivs('Name:\tnode\n'), false, 'a kernel before 4.10 has no such line');
});

t.test('installFilter refuses what is not a filter before asking the kernel', async (t) => {
  t.throws(() => installFilter(Buffer.alloc(0)), RangeError, 'empty');
  t.throws(() => installFilter(Buffer.alloc(12)), RangeError, 'not whole instructions');
  t.throws(() => installFilter(Buffer.alloc(8 * 4097)), RangeError, 'more than BPF_MAXINSNS');
  t.throws(() => installFilter('filter' as unknown as Buffer), RangeError, 'not a Buffer');
  t.throws(() => installFilter(Buffer.alloc(8), -1), RangeError, 'bad flags');
});

t.test('installFilter hands the kernel a readable sock_fprog', async (t) => {
  // One `ld #0` and no `ret`: the kernel reads the program through sock_fprog.filter (a bad pointer
  // would be EFAULT) and refuses it (EINVAL), so nothing is installed in this process. Without root
  // or no_new_privs the refusal comes earlier, as EACCES.
  const filters = (): string | undefined => /^Seccomp_filters:\s*(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const before = filters();
  const err = t.throws(() => installFilter(Buffer.alloc(8))) as unknown;
  t.ok(isNativeError(err), 'a NativeError');
  t.ok([EINVAL, errnoNumber('EACCES')].includes((err as NativeError).errno), 'EINVAL (or EACCES when unprivileged)', { err });
  t.match(err, { syscall: 'seccomp(SECCOMP_SET_MODE_FILTER)' });
  t.equal(filters(), before, 'no filter was added to this process');
});

t.test('kernel constants agree with lib/arch', async (t) => {
  const arch = hostArch();
  const same = (name: string, v: number) => t.equal(BigInt(v), constantValue(arch, name), name);
  same('PR_SET_NO_NEW_PRIVS', PR_SET_NO_NEW_PRIVS);
  same('PR_GET_NO_NEW_PRIVS', PR_GET_NO_NEW_PRIVS);
  same('SECCOMP_SET_MODE_FILTER', SECCOMP_SET_MODE_FILTER);
  same('SECCOMP_GET_ACTION_AVAIL', SECCOMP_GET_ACTION_AVAIL);
  same('SECCOMP_FILTER_FLAG_TSYNC', SECCOMP_FILTER_FLAG_TSYNC);
  same('SECCOMP_FILTER_FLAG_TSYNC_ESRCH', SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
});
