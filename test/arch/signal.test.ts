// lib/arch/signal.ts and the ptrace events of lib/arch/stop.ts against the uapi headers of both
// arches (asm/signal.h, linux/ptrace.h), as the real compiler reads them.
import t from 'tap';
import { ARCHES } from '../../lib/arch/index.js';
import { SIGKILL, SIGNAL_NAMES, signalName, signalNumber, SIGRTMAX, SIGRTMIN, SIGSTOP, SIGSYS, SIGTERM, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU } from '../../lib/arch/signal.js';
import * as stop from '../../lib/arch/stop.js';
import { evalMacros, uapiMissing } from './fixtures/headers.js';

t.test('names and numbers round trip', async (t) => {
  t.equal(SIGNAL_NAMES.length, 31, 'signals 1 to 31');
  SIGNAL_NAMES.forEach((name, i) => {
    t.equal(signalNumber(name), i + 1, name);
    t.equal(signalName(i + 1), name);
  });
  t.equal(signalName(SIGRTMIN), 'SIGRTMIN');
  t.equal(signalName(SIGRTMIN + 3), 'SIGRTMIN+3');
  for (const n of [0, -1, SIGRTMAX + 1]) t.equal(signalName(n), undefined, `no signal ${n}`);
  for (const s of ['SIGIOT', 'sigkill', '', 'toString']) t.equal(signalNumber(s), undefined, JSON.stringify(s));
  t.same([SIGTRAP, SIGKILL, SIGTERM, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGSYS], ['SIGTRAP', 'SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGSYS'].map((n) => signalNumber(n)), 'the named constants');
});

const uapiWhy = uapiMissing();
const EVENTS = Object.keys(stop).filter((k) => k.startsWith('PTRACE_EVENT_'));

t.test('signal numbers and ptrace events match the uapi headers of each arch', { skip: uapiWhy && `checking against the kernel headers: ${uapiWhy}` }, async (t) => {
  t.equal(EVENTS.length, 8, 'the events lib/arch/stop.ts names');
  for (const arch of ARCHES) {
    const header = evalMacros(arch, ['asm/signal.h', 'linux/ptrace.h'], [...SIGNAL_NAMES, 'SIGRTMIN', ...EVENTS]);
    for (const name of SIGNAL_NAMES) t.equal(header.get(name), BigInt(signalNumber(name)!), `${arch} ${name}`);
    t.equal(header.get('SIGRTMIN'), BigInt(SIGRTMIN), `${arch} SIGRTMIN`);
    for (const name of EVENTS) t.equal(header.get(name), BigInt((stop as unknown as Record<string, number>)[name]!), `${arch} ${name}`);
  }
});
