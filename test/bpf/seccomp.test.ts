import t from 'tap';
import {
  SECCOMP_DATA_SIZE, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
  actionName, argHigh, argLow, retAction, retData, seccompFieldName, seccompRet,
} from '../../lib/bpf/index.js';

t.test('struct seccomp_data offsets', async (t) => {
  t.equal(SECCOMP_DATA_SIZE, 64);
  t.same([0, 1, 2, 3, 4, 5].map(argLow), [16, 24, 32, 40, 48, 56]);
  t.same([0, 1, 2, 3, 4, 5].map(argHigh), [20, 28, 36, 44, 52, 60]);
  t.throws(() => argLow(6), RangeError);
  t.throws(() => argHigh(-1), RangeError);
  t.same(
    [0, 4, 8, 12, 16, 20, 36, 60].map(seccompFieldName),
    ['nr', 'arch', 'ip.lo', 'ip.hi', 'args[0].lo', 'args[0].hi', 'args[2].hi', 'args[5].hi'],
  );
  t.equal(seccompFieldName(2), undefined, 'unaligned');
  t.equal(seccompFieldName(64), undefined, 'past the end');
});

t.test('return values', async (t) => {
  t.equal(SECCOMP_RET_ACTION_FULL, 0xffff0000);
  t.equal(seccompRet(SECCOMP_RET_ERRNO, 1), 0x00050001);
  t.equal(seccompRet(SECCOMP_RET_KILL_PROCESS), 0x80000000, 'unsigned');
  t.throws(() => seccompRet(SECCOMP_RET_ERRNO, 0x10000), RangeError);
  t.throws(() => seccompRet(0x00050001, 1), RangeError, 'data already set');
  t.equal(retAction(SECCOMP_RET_KILL_PROCESS | 3), SECCOMP_RET_KILL_PROCESS, 'unsigned even from a negative int');
  t.equal(retData(SECCOMP_RET_TRACE | 7), 7);
});

t.test('actionName', async (t) => {
  const cases: [number, string][] = [
    [SECCOMP_RET_KILL_PROCESS, 'KILL_PROCESS'],
    [(SECCOMP_RET_KILL_PROCESS | 0) >>> 0, 'KILL_PROCESS'],
    [SECCOMP_RET_KILL_THREAD, 'KILL_THREAD'],
    [SECCOMP_RET_TRAP, 'TRAP(0)'],
    [SECCOMP_RET_ERRNO | 1, 'ERRNO(1)'],
    [SECCOMP_RET_ERRNO | 4095, 'ERRNO(4095)'],
    [SECCOMP_RET_USER_NOTIF, 'USER_NOTIF'],
    [SECCOMP_RET_TRACE | 7, 'TRACE(7)'],
    [SECCOMP_RET_LOG, 'LOG'],
    [SECCOMP_RET_ALLOW, 'ALLOW'],
    [SECCOMP_RET_ALLOW | 5, 'ALLOW(5)'],
    [0x00010005, 'UNKNOWN(0x00010005)'],
    [SECCOMP_RET_KILL_PROCESS | 0x10000, 'UNKNOWN(0x80010000)'],
  ];
  for (const [ret, want] of cases) t.equal(actionName(ret), want, want);
  t.equal(actionName(SECCOMP_RET_KILL_PROCESS | 0), 'KILL_PROCESS', 'negative int32 input');
});
