// One error base (lib/errors.ts): every error syscage raises on purpose carries a code and an exit
// status, and keeps both (and an errno) when it crosses from the tracer thread.
import t from 'tap';
import { BpfError, bpfError } from '../lib/bpf/errors.js';
import { EXIT, reviveError, serialiseError, SyscageError } from '../lib/errors.js';
import { FAULT_VARIABLE, InjectedFault } from '../lib/fault.js';
import { NativeError } from '../lib/native/errors.js';
import { ProfileError } from '../lib/profile/diagnostic.js';
import { UsageError } from '../lib/cli/io.js';
import { LaunchError } from '../lib/trace/supervisor.js';
import { PreparedTracer } from '../lib/trace/prepare.js';

t.test('each kind is a SyscageError with its code and status', async (t) => {
  const diag = { severity: 'error' as const, code: 'E_YAML_SYNTAX' as const, message: 'bad', loc: { file: 'p.yaml', line: 1, col: 1 } };
  const cases: [SyscageError, string, number][] = [
    [new UsageError('give a command'), 'E_USAGE', EXIT.invalid],
    [new ProfileError([diag]), 'E_YAML_SYNTAX', EXIT.invalid],
    [new LaunchError('x: command not found', 127), 'E_LAUNCH', 127],
    [new NativeError('prctl(PR_SET_NO_NEW_PRIVS)', 1), 'ERR_NATIVE', EXIT.internal],
    [bpfError('ERR_BPF_LABEL', 'undefined label "out"', { label: 'out' }), 'ERR_BPF_LABEL', EXIT.internal],
    [new InjectedFault('tracer.boot'), 'E_INJECTED_FAULT', EXIT.internal],
  ];
  for (const [e, code, status] of cases) {
    t.ok(e instanceof SyscageError, `${e.name} is a SyscageError`);
    t.same([e.code, e.status], [code, status], `${e.name}: code ${code}, exit ${status}`);
  }
  t.ok(cases[4]![0] instanceof BpfError, 'bpfError() makes a BpfError');
});

t.test('across a thread: code, status, errno and name kept', async (t) => {
  const native = reviveError(structuredClone(serialiseError(new NativeError('ptrace(PTRACE_SEIZE)', 1))), 'tracer failed: ');
  t.same([native.name, native.code, native.status, native.errno, native.message], ['NativeError', 'ERR_NATIVE', EXIT.internal, 1, 'tracer failed: ptrace(PTRACE_SEIZE) failed: EPERM']);
  const plain = reviveError(serialiseError(new Error('boom')));
  t.same([plain.code, plain.status], ['E_INTERNAL', EXIT.internal], 'an error without a code is an internal one');
  t.same(serialiseError('a string').message, 'a string');
});

t.test("the tracer thread's failure reaches the main thread with its code", async (t) => {
  process.env[FAULT_VARIABLE] = 'tracer.boot';
  const tracer = new PreparedTracer();
  delete process.env[FAULT_VARIABLE];
  const e = await tracer.ready.then(() => undefined, (err: unknown) => err as SyscageError);
  await tracer.cancel();
  t.ok(e instanceof SyscageError, 'a SyscageError');
  t.same([e?.code, e?.status, e?.message], ['E_INJECTED_FAULT', EXIT.internal, 'tracer failed: injected fault at tracer.boot']);
});
