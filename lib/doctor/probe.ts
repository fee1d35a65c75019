// The probe process of `syscage doctor`. Doctor never makes a risky native call
// in its own process: a platform whose seccomp policy kills on ptrace or prctl
// would kill doctor with it. It runs this script instead:
//
//   node probe.js UNIT...     run the units (lib/doctor/units.ts) in order; one JSON line per
//                             step and per result on stdout (the protocol is in units.ts)
//   node tracee.js            the test child of the vm_readv and ptrace units (lib/doctor/tracee.ts)
//
// Every unit catches its own errors: an exception is a "no" with the reason, and
// the next unit still runs. A fatal signal or a hang ends the process; doctor
// then knows from the last step line where it happened and starts a new probe
// process for the units after it (lib/doctor/launch.ts).
//
// While the tracee (tracee.ts) waits, this process reads its memory, seizes it
// with the supervisor's options, and at the seccomp stop reads the stop with
// PTRACE_GET_SYSCALL_INFO and refuses the call with EDOM through the registers.
import { closeSync, readFileSync, readlinkSync, readSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProbeName, Unit } from './units.js';
import { UNITS, isUnit } from './units.js';
import * as explain from './explain.js';
import { decodeStatus, isGone, resumeSignal } from '../arch/stop.js';
import { SIGKILL, signalName } from '../arch/signal.js';
import { errnoText, loadNative, MARK, PR_SET_DUMPABLE, PR_SET_PDEATHSIG, probeFilter, type Lib } from './probe-lib.js';


/** The errno the probes expect: nothing returns it for getppid by itself. */
const EDOM = 33;
/** How long the tracer waits for the tracee to finish after letting it go. */
const TRACE_DEADLINE_MS = 3000;

const nameOf = (n: number): string => signalName(n) ?? `signal ${n}`;

function line(o: object): void {
  writeSync(1, JSON.stringify(o) + '\n');
}
const step = (probe: ProbeName, doing: string): void => line({ t: 'step', probe, doing });
/** Probes answered by this process: each answers once. */
const answered = new Set<ProbeName>();
function result(probe: ProbeName, ok: boolean, detail: string): void {
  if (answered.has(probe)) return;
  answered.add(probe);
  line({ t: 'result', probe, ok, detail });
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** EPERM for a NativeError with errno 1; the message for anything else. */
function errnoOf(e: unknown): string {
  const n = (e as { code?: unknown; errno?: unknown })?.code === 'ERR_NATIVE' ? (e as { errno: number }).errno : undefined;
  if (n === undefined) return message(e);
  return errnoText(n);
}

/** Report every probe of a unit that has no answer yet as failed (an exception in the unit). */
function failRest(unit: Unit, reason: string): void {
  for (const p of UNITS[unit] as readonly ProbeName[]) result(p, false, reason);
}

// ---- the native layer, loaded here rather than imported, so that a failure to load it is an answer

/** "returned 1234" / "failed with ENOSYS": what a raw syscall gave, for messages. */
function gave(r: { ret: bigint | string; errno: number }): string {
  return r.errno === 0 ? `returned ${String(r.ret)}` : `failed with ${errnoText(r.errno)}`;
}

// ---- units in this process --------------------------------------------------------------------

function actions(lib: Lib): void {
  const keys = Object.keys(explain.ACTIONS) as explain.ActionKey[];
  for (const key of keys) {
    const probe = `seccomp.action.${key}` as ProbeName;
    step(probe, 'seccomp(SECCOMP_GET_ACTION_AVAIL)');
    try {
      const ok = lib.native.seccompActionAvailable(explain.ACTIONS[key].value);
      result(probe, ok, ok ? explain.actionAvailable(key) : explain.actionMissing(key));
    } catch (e) {
      result(probe, false, explain.actionQueryFailed(errnoOf(e)));
    }
  }
}

function prctl(lib: Lib): void {
  step('prctl.no_new_privs', 'prctl(PR_SET_NO_NEW_PRIVS)');
  try {
    lib.native.prctl(lib.native.PR_SET_NO_NEW_PRIVS, 1);
    result('prctl.no_new_privs', true, explain.PRCTL_WORKS);
  } catch (e) {
    let already = false;
    try {
      already = lib.native.noNewPrivs();
    } catch { /* no status file: not set, as far as we can tell */ }
    result('prctl.no_new_privs', already, explain.prctlRefused(errnoOf(e), already));
  }
}

function filter(lib: Lib): void {
  // What stage-2 does: no_new_privs (a refusal is fine when it is already set), then the filter.
  step('seccomp.filter', 'prctl(PR_SET_NO_NEW_PRIVS)');
  try {
    lib.native.setNoNewPrivs();
  } catch (e) {
    result('seccomp.filter', false, explain.launcherNoNewPrivsFailed(errnoOf(e)));
    return;
  }
  step('seccomp.filter', 'seccomp(SECCOMP_SET_MODE_FILTER)');
  try {
    lib.native.installFilter(probeFilter(lib, lib.bpf.seccompRet(lib.bpf.SECCOMP_RET_ERRNO, EDOM)));
  } catch (e) {
    result('seccomp.filter', false, explain.filterRefused(errnoOf(e)));
    return;
  }
  step('seccomp.filter', 'getppid under the test filter');
  const r = lib.native.rawSyscall(lib.native.syscallNumber('getppid'));
  result('seccomp.filter', r.errno === EDOM, r.errno === EDOM ? explain.FILTER_WORKS : explain.filterIneffective(gave(r)));
}

// ---- the tracee and the units that use it --------------------------------------------------------

interface Tracee {
  readonly pid: number;
  /** Write end of its stdin: one byte lets it go on; closing it makes it exit. */
  readonly go: number;
  /** Read end of its stdout. */
  readonly out: number;
  /** Whatever it wrote that has been read so far. */
  said: string;
  exited: boolean;
  /** The signal that ended it, if one did. */
  killedBy?: number;
}

/** Start the tracee and wait for its "ready"; a string is why it could not. */
function startTracee(lib: Lib): Tracee | string {
  const { native } = lib;
  const [inRead, inWrite] = native.pipe();
  const [outRead, outWrite] = native.pipe();
  let pid: number;
  try {
    pid = native.spawn({
      path: process.execPath,
      argv: [process.execPath, fileURLToPath(new URL('./tracee.js', import.meta.url))],
      // What doctor passed this process (lib/doctor/launch.ts probeEnv): no NODE_OPTIONS.
      env: process.env.LD_LIBRARY_PATH ? [`LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH}`] : [],
      fds: [[inRead, 0], [outWrite, 1], [2, 2]],
    });
  } catch (e) {
    for (const fd of [inRead, inWrite, outRead, outWrite]) native.closeFd(fd);
    return `posix_spawn of node failed: ${message(e)}`;
  }
  native.closeFd(inRead);
  native.closeFd(outWrite);
  const t: Tracee = { pid, go: inWrite, out: outRead, said: '', exited: false };
  // Blocking read: doctor's timeout bounds this whole process.
  while (!t.said.includes('\n')) {
    const chunk = readChunk(t.out);
    if (chunk === undefined) {
      reap(lib, t);
      return 'it exited before it was ready';
    }
    t.said += chunk;
  }
  if (!t.said.startsWith('ready\n')) {
    stopTracee(lib, t);
    return `it said ${JSON.stringify(t.said.trim())} instead of ready`;
  }
  t.said = '';
  return t;
}

function readChunk(fd: number): string | undefined {
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, null);
  return n === 0 ? undefined : buf.toString('utf8', 0, n);
}

/** Everything the tracee still writes until it closes its stdout (exits). */
function readRest(t: Tracee): string {
  for (;;) {
    const chunk = readChunk(t.out);
    if (chunk === undefined) return t.said;
    t.said += chunk;
  }
}

/** Wait for the tracee's end (it is our child, so wait on it directly). */
function reap(lib: Lib, t: Tracee): void {
  if (t.exited) return;
  for (;;) {
    const w = lib.native.waitAny();
    if (!w) break; // no children left
    const stop = decodeStatus(w.status);
    if (w.pid === t.pid && isGone(stop)) {
      if (stop.kind === 'killed') t.killedBy = stop.signal;
      break;
    }
    if (!isGone(stop) && stop.kind !== 'unknown') lib.native.ptrace.cont(w.pid, resumeSignal(stop));
  }
  t.exited = true;
}

function stopTracee(lib: Lib, t: Tracee): void {
  if (t.exited) return;
  try {
    lib.native.ptrace.sendSignal(t.pid, SIGKILL);
  } catch { /* gone already */ }
  reap(lib, t);
}

/** The tracee's ELF header, read with process_vm_readv from the start of its executable's mapping. */
function vmReadv(lib: Lib, t: Tracee): void {
  const probe = 'process_vm_readv';
  let maps: string;
  let exe: string;
  try {
    // Both need the same access to the child as process_vm_readv itself (PTRACE_MODE_READ).
    maps = readFileSync(`/proc/${t.pid}/maps`, 'utf8');
    exe = readlinkSync(`/proc/${t.pid}/exe`);
  } catch (e) {
    result(probe, false, explain.procRefused(`/proc/${t.pid}/maps`, (e as NodeJS.ErrnoException).code ?? message(e)));
    return;
  }
  let start: bigint | undefined;
  for (const m of maps.split('\n')) {
    // 55d0c0a00000-55d0c0c00000 r--p 00000000 08:01 1234   /usr/bin/node
    const f = /^([0-9a-f]+)-[0-9a-f]+ r\S{3} 0+ \S+ \d+\s+(.*)$/.exec(m);
    if (f && f[2] === exe) {
      start = BigInt(`0x${f[1]}`);
      break;
    }
  }
  if (start === undefined) {
    result(probe, false, explain.testChildFailed(`no readable mapping of ${exe} at offset 0 in its maps`));
    return;
  }
  step(probe, 'process_vm_readv');
  const r = lib.native.readMemory(t.pid, start, 4);
  if (typeof r === 'number') {
    result(probe, false, explain.vmReadvRefused(errnoText(r)));
  } else if (r.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
    result(probe, true, explain.VM_READV_WORKS);
  } else {
    result(probe, false, explain.vmReadvWrong(`0x${r.toString('hex')}`));
  }
}

function yamaAndCaps(): explain.PtraceEnv {
  let yamaScope: string | undefined;
  try {
    yamaScope = readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim();
  } catch { /* no Yama */ }
  let capSysPtrace = false;
  try {
    const eff = /^CapEff:\s*([0-9a-f]+)\s*$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    capSysPtrace = eff !== undefined && ((BigInt(`0x${eff}`) >> 19n) & 1n) === 1n;
  } catch { /* unknown: assume not */ }
  return { yamaScope, capSysPtrace };
}

function ptraceUnit(lib: Lib, t: Tracee): void {
  const { native } = lib;
  const { ptrace } = native;
  step('ptrace.seize', 'ptrace(PTRACE_SEIZE)');
  try {
    ptrace.seize(t.pid, ptrace.SEIZE_OPTIONS);
    result('ptrace.seize', true, explain.SEIZE_WORKS);
  } catch (e) {
    result('ptrace.seize', false, explain.seizeRefused(errnoOf(e), yamaAndCaps()));
    result('ptrace.syscall_info', false, explain.NOT_TRIED_SEIZE);
    result('ptrace.deny', false, explain.NOT_TRIED_SEIZE);
    return;
  }

  writeSync(t.go, 'g');
  step('ptrace.syscall_info', 'waiting for the seccomp stop');
  const arch = lib.arch.hostArch();
  const getppid = native.syscallNumber('getppid');
  const { WNOHANG, __WALL, __WNOTHREAD } = lib.wait;
  const deadline = Date.now() + TRACE_DEADLINE_MS;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let stops = 0;
  let infoDone = false;
  let denied = false;
  while (!t.exited) {
    if (Date.now() > deadline) {
      stopTracee(lib, t);
      const why = `no answer within ${TRACE_DEADLINE_MS} ms`;
      if (!infoDone) result('ptrace.syscall_info', false, explain.noSeccompStop(why));
      result('ptrace.deny', false, denied ? explain.denyIneffective(why) : 'not tried: no seccomp stop came (see ptrace.syscall_info).');
      return;
    }
    const w = native.waitAny(WNOHANG | __WALL | __WNOTHREAD);
    if (!w) break;
    if (w.pid === 0) {
      Atomics.wait(sleeper, 0, 0, 1);
      continue;
    }
    const stop = decodeStatus(w.status);
    if (isGone(stop) || stop.kind === 'unknown') {
      if (w.pid === t.pid && isGone(stop)) {
        t.exited = true;
        if (stop.kind === 'killed') t.killedBy = stop.signal;
      }
      continue;
    }
    if (stop.kind === 'seccomp' && w.pid === t.pid && stops === 0) {
      stops++;
      try {
        const info = ptrace.syscallInfo(w.pid);
        infoDone = true;
        if (!info) {
          result('ptrace.syscall_info', false, explain.syscallInfoWrong('found the child gone'));
        } else if (info.op !== ptrace.PTRACE_SYSCALL_INFO_SECCOMP) {
          result('ptrace.syscall_info', false, explain.syscallInfoWrong(`gave op ${info.op}, not SECCOMP (${ptrace.PTRACE_SYSCALL_INFO_SECCOMP})`));
        } else if (info.retData !== MARK) {
          result('ptrace.syscall_info', false, explain.syscallInfoWrong(`gave ret_data 0x${info.retData.toString(16)}, not the filter's 0x${MARK.toString(16)}`));
        } else if (info.nr !== getppid || info.arch >>> 0 !== lib.arch.AUDIT_ARCH[arch] >>> 0) {
          result('ptrace.syscall_info', false, explain.syscallInfoWrong(`gave nr ${info.nr} and arch 0x${(info.arch >>> 0).toString(16)}, not getppid (${getppid}) on ${arch}`));
        } else {
          result('ptrace.syscall_info', true, explain.syscallInfoWorks(info.nr, info.retData));
        }
      } catch (e) {
        infoDone = true;
        result('ptrace.syscall_info', false, explain.syscallInfoFailed(errnoOf(e)));
      }
      // The refusal does not depend on the answer above: try it whatever it was.
      step('ptrace.deny', 'ptrace(deny: set the syscall number and return register)');
      try {
        ptrace.denySyscall(w.pid, arch, EDOM);
        denied = true;
      } catch (e) {
        result('ptrace.deny', false, explain.denyFailed(errnoOf(e)));
        stopTracee(lib, t);
        return;
      }
      ptrace.cont(w.pid, 0);
    } else {
      // Anything else (a new thread's first stop, a signal) goes on as it would have.
      ptrace.cont(w.pid, resumeSignal(stop));
    }
  }

  const said = readRest(t).trim().split('\n').pop() ?? '';
  let got: { ret?: string; errno?: number; error?: string } = {};
  try {
    got = JSON.parse(said) as typeof got;
  } catch { /* said nothing usable */ }
  if (got.error !== undefined) {
    const why = explain.traceeFilterFailed(`failed (${got.error})`);
    result('ptrace.syscall_info', false, why);
    result('ptrace.deny', false, why);
    return;
  }
  if (got.errno === undefined && !infoDone) {
    // It never got as far as its getppid: no seccomp stop was due.
    const why = t.killedBy !== undefined
      ? explain.traceeFilterFailed(`was killed by ${nameOf(t.killedBy)}`)
      : explain.testChildFailed('it ended without a word');
    result('ptrace.syscall_info', false, why);
    result('ptrace.deny', false, why);
    return;
  }
  const childSaid = got.errno === undefined
    ? `the child ${t.killedBy !== undefined ? `was killed by ${nameOf(t.killedBy)}` : 'said nothing'}`
    : `getppid ${gave({ ret: got.ret ?? '?', errno: got.errno })}`;
  if (!infoDone) {
    result('ptrace.syscall_info', false, explain.noSeccompStop(childSaid));
    result('ptrace.deny', false, 'not tried: no seccomp stop came (see ptrace.syscall_info).');
    return;
  }
  if (got.errno === EDOM) result('ptrace.deny', true, explain.DENY_WORKS);
  else result('ptrace.deny', false, explain.denyIneffective(childSaid));
}

// ---- main ---------------------------------------------------------------------------------------

async function runUnits(units: readonly Unit[]): Promise<void> {
  let lib: Lib;
  try {
    lib = await loadNative();
  } catch (e) {
    const why = `syscage's native layer does not load here (${message(e)}), so syscage cannot run; check that koffi supports this platform.`;
    for (const u of units) failRest(u, why);
    return;
  }
  // A probe process killed by SIGSYS must not leave a core file in the user's directory.
  const first = UNITS[units[0]!][0];
  step(first, 'prctl(PR_SET_DUMPABLE, 0)');
  try {
    lib.native.prctl(PR_SET_DUMPABLE, 0);
  } catch { /* refused: cores are the platform's business then */ }
  // Nothing of doctor outlives it: this process (and, through PTRACE_O_EXITKILL, its tracee) dies
  // with doctor, however doctor ends.
  try {
    lib.native.prctl(PR_SET_PDEATHSIG, SIGKILL);
  } catch { /* refused: the probe still ends by itself, within doctor's timeout */ }
  // Doctor ended before the line above (this process was given to another parent).
  if (process.ppid !== Number(process.env.SYSCAGE_DOCTOR_PID ?? process.ppid)) return;

  let tracee: Tracee | string | undefined;
  for (const unit of units) {
    try {
      switch (unit) {
        case 'actions': actions(lib); break;
        case 'prctl': prctl(lib); break;
        case 'filter': filter(lib); break;
        case 'vm_readv':
        case 'ptrace':
          if (tracee === undefined) {
            step(UNITS[unit][0], 'starting the test child (node)');
            tracee = startTracee(lib);
          }
          if (typeof tracee === 'string') {
            failRest(unit, explain.testChildFailed(tracee));
          } else if (unit === 'vm_readv') {
            vmReadv(lib, tracee);
          } else {
            ptraceUnit(lib, tracee);
          }
          break;
      }
    } catch (e) {
      // Results already written stand; the rest of the unit failed with this.
      failRest(unit, `the probe failed: ${message(e)}; this is a bug in syscage doctor, please report it.`);
    }
  }
  if (tracee && typeof tracee !== 'string') {
    stopTracee(lib, tracee);
    closeSync(tracee.go);
    closeSync(tracee.out);
  }
}

const args = process.argv.slice(2);
const bad = args.filter((a) => !isUnit(a));
if (bad.length > 0 || args.length === 0) {
  process.stderr.write(`usage: probe.js UNIT... (units: ${Object.keys(UNITS).join(', ')}); not units: ${bad.join(' ')}\n`);
  process.exit(2);
}
await runUnits(args as Unit[]);
