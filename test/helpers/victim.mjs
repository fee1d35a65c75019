// A process that puts itself under a seccomp filter and reports what its syscalls returned.
// test/compile/kernel.test.ts runs it to check compiled profiles against the real kernel.
//
//   node test/helpers/victim.mjs FILTER.bpf OP...
//
//   OP       NAME or NAME:ARG,ARG,...    the syscall by name (host arch), with up to six arguments;
//            x32:NAME[:ARGS]             the same with the x32 bit (0x40000000) set in the number
//   ARG      an integer (decimal, or 0x hex) or a constant name from lib/arch (AF_INET, SOCK_STREAM)
//
// Unnamed arguments are 0: all six argument registers always hold known values, because the
// filter sees all six whatever the syscall takes.
//
// It sets no_new_privs, installs the filter (a struct sock_filter array, as compileProfile's
// `bytes`) and performs each OP with a raw syscall, announcing each one on stderr first
// ("op 2 socket:AF_INET") so that a kill can be attributed. Then it writes one JSON line to fd 1,
//   {"pid": 123, "results": [{"op": "getppid", "ret": "122", "errno": 0}, ...]}
// (ret as a decimal string: it is a 64-bit value) and leaves with exit_group(0), so that nothing of
// Node's shutdown runs under the filter. A syscall the filter kills leaves stdout empty.
// Exit status 2: bad usage, or the filter could not be installed (reason on stderr).
//
// Plain JS on purpose: it imports the compiled library (npm run build), as a real stage-2 would.
import { readFileSync, writeSync } from 'node:fs';

let native;
let arch;
let constants;
try {
  native = await import('../../dist/lib/native/index.js');
  arch = await import('../../dist/lib/arch/index.js');
  constants = await import('../../dist/lib/arch/constants.js');
} catch (err) {
  fail(`cannot load the compiled library (run npm run build): ${err.message}`);
}

const X32_SYSCALL_BIT = 0x40000000;
/** linux/prctl.h: a non-dumpable process writes no core file when SIGSYS kills it. */
const PR_SET_DUMPABLE = 4;

function fail(message) {
  writeSync(2, `victim: ${message}\n`);
  process.exit(2);
}

/** 'x32:socket:AF_INET,SOCK_STREAM,0' -> { text, nr, args } with the number and args resolved. */
function parseOp(text) {
  let rest = text;
  const x32 = rest.startsWith('x32:');
  if (x32) rest = rest.slice(4);
  const [name, argText] = rest.split(':', 2);
  let nr;
  try {
    nr = native.syscallNumber(name);
  } catch (err) {
    fail(`${text}: ${err.message}`);
  }
  const args = argText === undefined || argText === '' ? [] : argText.split(',').map((a) => parseArg(text, a.trim()));
  if (args.length > native.SYSCALL_MAX_ARGS) fail(`${text}: more than ${native.SYSCALL_MAX_ARGS} arguments`);
  return { text, nr: x32 ? nr | X32_SYSCALL_BIT : nr, args };
}

function parseArg(op, a) {
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(a)) return a.startsWith('-') ? -BigInt(a.slice(1)) : BigInt(a);
  const v = constants.constantValue(arch.hostArch(), a);
  if (v === undefined) fail(`${op}: "${a}" is neither an integer nor a constant`);
  return v;
}

const [filterPath, ...opTexts] = process.argv.slice(2);
if (!filterPath) fail('usage: victim.mjs FILTER.bpf OP...');

// Everything that can be prepared is prepared before the filter goes in: reading the filter, the
// syscall table, the constants.
const filter = readFileSync(filterPath);
const ops = opTexts.map(parseOp);
const exitGroup = native.syscallNumber('exit_group');
const results = [];

try {
  native.prctl(PR_SET_DUMPABLE, 0);
  native.setNoNewPrivs();
  // Without TSYNC the filter binds only this thread, Node's main thread, where the ops run.
  native.installFilter(filter);
} catch (err) {
  fail(`${err.code ?? ''} ${err.message}`);
}

ops.forEach((op, i) => {
  writeSync(2, `op ${i} ${op.text}\n`);
  const { ret, errno } = native.rawSyscall(op.nr, ...op.args);
  results.push({ op: op.text, ret: ret.toString(), errno });
});

writeSync(1, JSON.stringify({ pid: process.pid, results }) + '\n');
native.rawSyscall(exitGroup, 0);
