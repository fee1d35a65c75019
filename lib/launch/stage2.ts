// Stage 2 of a launch: the process the supervisor spawned and seized. It reads
// the program and the filter from fd 3, makes the process fit to exec (default
// signal dispositions, stdio kept across exec), installs the filter and execs.
// From seccomp() on, every syscall is filtered; the supervisor allows whatever
// this process traps until its one exec, which the supervisor recognises as
// the launch. If the exec fails, the message and the exit status are
// shell-like: 127 not found, 126 not executable.
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { errnoName } from '../arch/errno.js';
import { SIGKILL } from '../arch/signal.js';
import {
  bindInPrivateNamespace, closeFd, exec, installFilter, isNativeError, keepOnExec, prctl, PR_SET_PDEATHSIG, resetSignals, setNoNewPrivs,
  SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
} from '../native/index.js';
import { decodeRequest, REQUEST_FD } from './request.js';
import { faultPoint } from '../fault.js';

const EINVAL = 22;


function fail(message: string, status: number): never {
  writeSync(2, `syscage: ${message}\n`);
  // Straight out: no exit handlers, no more syscalls than needed under the filter.
  (process as unknown as { reallyExit(code: number): never }).reallyExit(status);
  throw new Error('unreachable');
}

// Anything unforeseen: one line and out, never a stack trace on the command's stderr.
process.on('uncaughtException', (e) => fail(`launch failed: ${e.message.split('\n', 1)[0]}`, 70));

let request;
try {
  faultPoint('stage2.start');
  request = decodeRequest(readFileSync(REQUEST_FD));
} catch (e) {
  fail(`launch failed: ${(e as Error).message}`, 70);
}
const { req, filter } = request;
closeFd(REQUEST_FD);
for (const fd of [0, 1, 2]) keepOnExec(fd);
resetSignals();
// The command dies with the tracer thread that started it, also where nothing traces it (BPF-only
// mode, where PTRACE_O_EXITKILL does not apply). Refused on some platforms: then it is not so.
try {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
} catch { /* as said */ }
if (req.resolvConf !== undefined) {
  // Lookups go to syscage's resolver. Where that cannot be arranged they go where they went, and
  // only an address rule can let them out: names then fail to resolve (closed, not open).
  try {
    bindInPrivateNamespace(req.resolvConf, '/etc/resolv.conf');
  } catch (e) {
    writeSync(2, `syscage: dns: cannot give the command syscage's resolver (${(e as Error).message}): host rules allow nothing, and lookups go to the system's resolver only if an address rule allows it\n`);
  }
}
try {
  setNoNewPrivs();
  if (req.notify) {
    // The listener stays open here until the exec (it is close-on-exec): the supervisor takes a
    // copy at the exec's stop. Between here and the exec this process makes no notified call.
    try {
      installFilter(filter, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
    } catch (e) {
      // Before 5.19 the kernel does not know WAIT_KILLABLE_RECV (EINVAL): a signal may then
      // withdraw a call the supervisor is performing (docs/engine.md says what that costs).
      if (!isNativeError(e, EINVAL)) throw e;
      installFilter(filter, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    }
  } else {
    installFilter(filter);
  }
} catch (e) {
  // Never run the command unfiltered.
  fail(`cannot install the seccomp filter: ${(e as Error).message}`, 70);
}
const errno = exec(req.path, req.argv, req.env);
const name = errnoName(errno) ?? `errno ${errno}`;
if (name === 'ENOENT') {
  // The program was found before the launch: ENOENT now means its #! interpreter is missing.
  const interpreter = existsSync(req.path) ? /^#!\s*(\S+)/.exec(readFileSync(req.path, { encoding: 'latin1' }).slice(0, 256))?.[1] : undefined;
  if (interpreter) fail(`${req.path}: ${interpreter}: bad interpreter: No such file or directory`, 126);
  fail(`${req.argv[0] ?? req.path}: command not found`, 127);
}
fail(`${req.path}: cannot execute: ${name}`, 126);
