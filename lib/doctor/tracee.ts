// The test child of doctor's vm_readv and ptrace units, spawned by the probe process (probe.ts)
// with posix_spawn (never child_process: libuv would reap it), its stdin and stdout pipes to the
// probe. It writes "ready", waits for one byte on stdin (EOF: exit), installs a filter that sends
// getppid to the tracer (SECCOMP_RET_TRACE | MARK), calls getppid, and writes what it got as one
// JSON line. If the probe dies the tracee dies too: PTRACE_O_EXITKILL once seized, EOF on its
// stdin before that.
import { readSync, writeSync } from 'node:fs';
import { loadNative, MARK, PR_SET_DUMPABLE, probeFilter } from './probe-lib.js';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function tracee(): Promise<void> {
  const lib = await loadNative();
  const filterBytes = probeFilter(lib, lib.bpf.seccompRet(lib.bpf.SECCOMP_RET_TRACE, MARK));
  const getppid = lib.native.syscallNumber('getppid');
  writeSync(1, 'ready\n');
  const b = Buffer.alloc(1);
  if (readSync(0, b, 0, 1, null) === 0) process.exit(0); // the tracer gave up
  // Seized by now (a non-dumpable process cannot be), and no core file if the filter kills it.
  try {
    lib.native.prctl(PR_SET_DUMPABLE, 0);
  } catch { /* as above */ }
  try {
    lib.native.setNoNewPrivs();
    lib.native.installFilter(filterBytes);
  } catch (e) {
    writeSync(1, JSON.stringify({ error: message(e) }) + '\n');
    process.exit(0);
  }
  const r = lib.native.rawSyscall(getppid);
  writeSync(1, JSON.stringify({ ret: r.ret.toString(), errno: r.errno }) + '\n');
  process.exit(0);
}

await tracee();
