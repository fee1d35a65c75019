// A local stand-in for the AWS Lambda execution environment, as far as a process can tell from its
// own syscalls: run a program the way Lambda starts a function's bootstrap, so that syscage (and its
// tests) meet the platform's refusals from the real kernel, not from a mock.
//
//   node test/platform/simulate.mjs --variant VARIANT -- PROGRAM ARGS...      (as root)
//
// Nobody on this project can probe real Lambda. Public reports (first-hand accounts and issue
// threads of sandboxing, browser and native-library projects, 2021-2026) agree that a function runs
// as uid/gid 993 with no capabilities, and that Lambda's own seccomp filter refuses with EPERM:
// seccomp() and prctl(PR_SET_SECCOMP), prctl(PR_SET_NO_NEW_PRIVS), PR_SET_NAME and
// PR_SET_PDEATHSIG, ptrace, and namespaces. AWS publishes neither the filter nor whether
// no_new_privs is set when the bootstrap starts, so both states are simulated. No report says that
// rlimits or /proc of one's own processes are restricted; RLIMIT_NOFILE is Lambda's documented
// 1024.
//
// VARIANT
//   nnp0        Lambda as reported. The filter is installed as root WITHOUT no_new_privs (root has
//               CAP_SYS_ADMIN, which lets it): the program starts with NoNewPrivs 0. EPERM for
//               seccomp, ptrace, unshare, setns, clone with any namespace flag in its flags (arg0
//               on x86_64 and aarch64), prctl PR_SET_SECCOMP / PR_SET_NO_NEW_PRIVS / PR_SET_NAME /
//               PR_SET_PDEATHSIG; ENOSYS for clone3 (its flags are in memory a filter cannot read;
//               libc then falls back to clone); everything else allowed.
//   nnp1        the same, with no_new_privs set before the filter: the program starts with
//               NoNewPrivs 1.
//   seccomp-ok  "seccomp allowed, ptrace refused" (some container platforms): EPERM for ptrace,
//               unshare, setns and namespace clone flags only. seccomp, every prctl and clone3 are
//               allowed (so clone3 can still ask for namespaces: only the kernel's own rules stop
//               it); no_new_privs not set.
//   none        exec PROGRAM unchanged (no filter, same user, root not required), so that a caller
//               can loop over every variant, a control run among them.
//
// In every variant but none: a syscall of another ABI (audit arch not this host's, or an x32
// number on x86_64) kills the process, as no real program makes one. The filter goes on every
// thread of this process (TSYNC). Then: RLIMIT_NOFILE 1024 (soft and hard), supplementary groups
// cleared, gid 993, then uid 993 (which leaves no capability, checked), and execve of PROGRAM.
//
// PROGRAM is a path, or a name looked up in PATH after the switch to uid 993, so that a directory
// that user cannot enter (a root-only home) is skipped. The environment is passed through minus
// NODE_OPTIONS. Standard input, output and error are kept, signal dispositions reset to default.
// Exit status 2 with one line on stderr: bad usage, not root, or the policy cannot be installed.
//
// RLIMIT_NOFILE: Node has no setrlimit, and lib/native has no rlimit wrapper; it does have the raw
// syscall binding (rawSyscall) and the address of a Buffer (ffi.addressOf, as test/fuzz uses), so
// prlimit64(0, RLIMIT_NOFILE, &{1024, 1024}, NULL) goes through those: no edit of lib/, no other
// FFI module, no util-linux prlimit binary to find and exec.
//
// Plain JS on purpose: it imports the compiled library (npm run build), like
// test/doctor/fixtures/restricted.mjs. test/platform/simulator.test.ts proves every refusal above.
import { accessSync, constants, readFileSync, statSync, writeSync } from 'node:fs';

const VARIANTS = ['nnp0', 'nnp1', 'seccomp-ok', 'none'];
const LAMBDA_ID = 993;
const NOFILE = 1024;
const RLIMIT_NOFILE = 7;

/**
 * clone(2) flags that create a namespace (linux/sched.h). CLONE_NEWTIME (0x80) is for clone3 and
 * unshare only: clone(2) reads that bit as part of the exit signal (CSIGNAL), which the kernel
 * refuses (EINVAL); the filter makes it EPERM like the other namespace flags.
 */
const CLONE_NEWTIME = 0x80;
const CLONE_NEWNS = 0x20000;
const CLONE_NEWCGROUP = 0x0200_0000;
const CLONE_NEWUTS = 0x0400_0000;
const CLONE_NEWIPC = 0x0800_0000;
const CLONE_NEWUSER = 0x1000_0000;
const CLONE_NEWPID = 0x2000_0000;
const CLONE_NEWNET = 0x4000_0000;
const CLONE_NAMESPACES = (CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) >>> 0;
/** prctl options Lambda refuses (linux/prctl.h). */
const PR_SET_PDEATHSIG = 1;
const PR_SET_NAME = 15;
const PR_SET_SECCOMP = 22;
const PR_SET_NO_NEW_PRIVS = 38;
/** x86_64: x32 syscall numbers have this bit (__X32_SYSCALL_BIT). */
const X32_SYSCALL_BIT = 0x4000_0000;

let native;
function fail(message) {
  writeSync(2, `simulate: ${message}\n`);
  // exit_group once the library is loaded: no exit handlers, since one a test runner preloads
  // (through NODE_OPTIONS, which this process still has) may write where uid 993 cannot.
  if (native) native.exitProcess(2);
  process.exit(2);
}

const usage = `usage: simulate.mjs --variant ${VARIANTS.join('|')} -- PROGRAM ARGS...`;
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0 || sep === argv.length - 1) fail(usage);
const opts = argv.slice(0, sep);
let variant;
for (let i = 0; i < opts.length; i++) {
  const m = /^--variant(?:=(.*))?$/.exec(opts[i]);
  if (!m) fail(`unknown option ${opts[i]}; ${usage}`);
  variant = m[1] ?? opts[++i];
}
if (variant === undefined) fail(`--variant is required; ${usage}`);
if (!VARIANTS.includes(variant)) fail(`unknown variant "${variant}": one of ${VARIANTS.join(', ')}`);
const [program, ...args] = argv.slice(sep + 1);

/** PROGRAM itself when it has a slash, else the first executable regular file of that name in PATH, for the current (real) uid. */
function resolve(name) {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((d) => `${d || '.'}/${name}`);
  for (const p of candidates) {
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch { /* not here */ }
  }
  fail(name.includes('/') ? `cannot execute ${name} as uid ${process.getuid()}` : `${name}: not found in PATH, or not executable by uid ${process.getuid()}`);
}

let bpf;
let arch;
let errno;
let ffi;
try {
  native = await import('../../dist/lib/native/index.js');
  bpf = await import('../../dist/lib/bpf/index.js');
  arch = await import('../../dist/lib/arch/index.js');
  errno = await import('../../dist/lib/arch/errno.js');
  ffi = await import('../../dist/lib/native/ffi.js');
} catch (err) {
  fail(`cannot load the compiled library (run npm run build): ${err.message}`);
}

function execProgram() {
  const path = resolve(program);
  for (const fd of [0, 1, 2]) native.keepOnExec(fd);
  native.resetSignals();
  const env = Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS').map(([k, v]) => `${k}=${v}`);
  const e = native.exec(path, [program, ...args], env);
  fail(`cannot exec ${path}: ${errno.errnoName(e) ?? e}`);
}

if (variant === 'none') execProgram();

if (process.getuid() !== 0 || process.geteuid() !== 0) fail(`variant ${variant} must be run as root (it installs a filter without no_new_privs and switches to uid ${LAMBDA_ID})`);

/** The policy: a seccomp-bpf program, for this host's arch. */
function policy(lambda) {
  const host = arch.hostArch();
  const nr = (name) => native.syscallNumber(name);
  const eperm = bpf.seccompRet(bpf.SECCOMP_RET_ERRNO, errno.errnoNumber('EPERM'));
  const enosys = bpf.seccompRet(bpf.SECCOMP_RET_ERRNO, errno.errnoNumber('ENOSYS'));
  const b = new bpf.Builder()
    .ldAbs(bpf.SECCOMP_DATA_ARCH)
    .jeq(arch.AUDIT_ARCH[host], bpf.NEXT, 'kill')
    .ldAbs(bpf.SECCOMP_DATA_NR);
  if (host === 'x86_64') b.jge(X32_SYSCALL_BIT, 'kill');
  b.jeq(nr('ptrace'), 'eperm')
    .jeq(nr('unshare'), 'eperm')
    .jeq(nr('setns'), 'eperm')
    .jeq(nr('clone'), 'clone');
  if (lambda) {
    b.jeq(nr('seccomp'), 'eperm')
      .jeq(nr('clone3'), 'enosys')
      .jeq(nr('prctl'), 'prctl');
  }
  b.ret(bpf.SECCOMP_RET_ALLOW);
  // clone(flags, ...): namespace flags are all in the low half of arg0.
  b.label('clone').ldAbs(bpf.argLow(0)).jset(CLONE_NAMESPACES, 'eperm').ret(bpf.SECCOMP_RET_ALLOW);
  if (lambda) {
    // prctl(option, ...): option is an int, the low half of arg0.
    b.label('prctl').ldAbs(bpf.argLow(0))
      .jeq(PR_SET_SECCOMP, 'eperm')
      .jeq(PR_SET_NO_NEW_PRIVS, 'eperm')
      .jeq(PR_SET_NAME, 'eperm')
      .jeq(PR_SET_PDEATHSIG, 'eperm')
      .ret(bpf.SECCOMP_RET_ALLOW);
    b.label('enosys').ret(enosys);
  }
  b.label('eperm').ret(eperm);
  b.label('kill').ret(bpf.SECCOMP_RET_KILL_PROCESS);
  return bpf.encode(b.build());
}

let filter;
try {
  filter = policy(variant !== 'seccomp-ok');
} catch (err) {
  fail(`cannot build the filter: ${err.message}`);
}

try {
  if (variant === 'nnp1') native.setNoNewPrivs();
  native.installFilter(filter, native.SECCOMP_FILTER_FLAG_TSYNC);
} catch (err) {
  fail(`cannot install the filter: ${err.message}`);
}

// prlimit64(0, RLIMIT_NOFILE, &new, NULL); struct rlimit64 is two u64 (soft, hard).
const limit = Buffer.alloc(16);
limit.writeBigUInt64LE(BigInt(NOFILE), 0);
limit.writeBigUInt64LE(BigInt(NOFILE), 8);
const r = native.rawSyscall(native.syscallNumber('prlimit64'), 0, RLIMIT_NOFILE, BigInt(ffi.addressOf(limit)), 0);
if (r.errno !== 0) fail(`cannot set RLIMIT_NOFILE to ${NOFILE}: ${errno.errnoName(r.errno) ?? r.errno}`);

try {
  process.setgroups([]);
  process.setgid(LAMBDA_ID);
  process.setuid(LAMBDA_ID);
} catch (err) {
  fail(`cannot switch to uid/gid ${LAMBDA_ID}: ${err.message}`);
}
// Checked from the kernel's view (process.getgroups() may list the egid too).
const status = readFileSync('/proc/self/status', 'utf8');
const field = (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1].trim().split(/\s+/).join(' ');
const want = { Uid: Array(4).fill(LAMBDA_ID).join(' '), Gid: Array(4).fill(LAMBDA_ID).join(' '), Groups: '', CapEff: '0000000000000000' };
const got = Object.fromEntries(Object.keys(want).map((k) => [k, field(k)]));
if (Object.keys(want).some((k) => got[k] !== want[k])) {
  fail(`the switch to uid/gid ${LAMBDA_ID} left ${Object.entries(got).map(([k, v]) => `${k} "${v}"`).join(', ')}`);
}
execProgram();
