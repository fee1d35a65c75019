// The compiler on the real aarch64 kernel: the spec tables of test/compile/kernel.test.ts
// (test/fixtures/compile/kernel-specs.mjs), run on aarch64.
// Each group writes a profile, compiles it for aarch64 with the layer's syscage, and runs
// c/victim.c, which installs the filter on itself and makes the syscalls under test: an allowed
// call works, an errno-refused one returns that errno in x0, a killed one ends the process with
// SIGSYS, argument rules tell arguments apart (64-bit compares as two 32-bit halves). Each case is
// also run through the layer's BPF interpreter, which must agree with the kernel. Then
// `syscage compile` (no --arch: this machine's) must print the same program.
//
// Profiles are `default: allow` plus what is under test, compiled with `supervised: false` (no
// tracer: a RET_TRACE would fail with ENOSYS).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, equal, lib, prog, runProcess, seen, syscage, tempDir, write } from './helpers.mjs';
import { KERNEL_GROUPS, resolveWant } from './kernel-specs.mjs';

export default async function compileChecks() {
  const { loadProfile } = await lib('profile/index.js');
  const { compileProfile } = await lib('compile/index.js');
  const bpf = await lib('bpf/index.js');
  const { AUDIT_ARCH, hostArch, syscallTable } = await lib('arch/index.js');
  const { errnoName, errnoNumber } = await lib('arch/errno.js');
  const { constantValue } = await lib('arch/constants.js');

  const arch = hostArch();
  equal('compile: the layer\'s syscage sees this machine as aarch64', arch, 'aarch64');
  const table = syscallTable();
  const dir = tempDir('compile');
  let serial = 0;

  const nr = (name) => {
    const n = table.number('aarch64', name);
    if (n === undefined) throw new Error(`test bug: no ${name} on aarch64`);
    return n;
  };
  // The numbers the kernel uses on arm64 (asm-generic/unistd.h), so a wrong table is caught here too.
  for (const [name, n] of [['getppid', 173], ['getsid', 156], ['socket', 198], ['getpid', 172], ['openat', 56], ['exit_group', 94], ['seccomp', 277]]) {
    equal(`compile: ${name} is syscall ${n} on aarch64 in the layer's table`, table.number('aarch64', name), n);
  }
  check('compile: open(2) does not exist on aarch64 (only openat)', table.number('aarch64', 'open') === undefined, { open: table.number('aarch64', 'open') });

  const value = (a) => (typeof a === 'bigint' ? BigInt.asUintN(64, a) : BigInt.asUintN(64, constantValue('aarch64', a)));
  const opText = (op) => `${nr(op.syscall)}${(op.args ?? []).length ? `:${op.args.map((a) => `0x${value(a).toString(16)}`).join(',')}` : ''}`;
  const data = (op) => ({ nr: nr(op.syscall), arch: AUDIT_ARCH.aarch64, args: Array.from({ length: 6 }, (_, i) => (op.args?.[i] === undefined ? 0n : value(op.args[i]))) });

  const interpreted = (ret) => {
    switch (bpf.retAction(ret)) {
      case bpf.SECCOMP_RET_ALLOW: case bpf.SECCOMP_RET_LOG: return 'allow';
      case bpf.SECCOMP_RET_ERRNO: return `errno ${errnoName(bpf.retData(ret)) ?? bpf.retData(ret)}`;
      case bpf.SECCOMP_RET_KILL_PROCESS: case bpf.SECCOMP_RET_KILL_THREAD: return 'kill';
      default: return bpf.actionName(ret);
    }
  };
  const wantText = (w) => (w.kind === 'errno' ? `errno ${w.errno}` : w.kind);

  const build = (yaml) => {
    const path = write(join(dir, `p${serial++}.yaml`), yaml);
    const { profile } = loadProfile(path);
    const compiled = compileProfile(profile, 'aarch64', { supervised: false });
    const filter = `${path}.bpf`;
    write(filter, compiled.bytes);
    return { path, compiled, filter };
  };
  const victim = (filter, ops) => runProcess(prog('victim'), [filter, ...ops.map(opText)], { timeoutMs: 60_000 });
  const announced = (stderr) => [...stderr.matchAll(/^op \d+ (\S+)$/gm)].map((m) => m[1]);

  /** One group: interpreter, then the kernel; a killing spec must come last. */
  async function group(title, yaml, specs) {
    const { compiled, filter, path } = build(yaml);
    const program = bpf.compile(compiled.insns);
    for (const s of specs) {
      equal(`compile: ${title}: interpreter: ${s.desc} → ${wantText(s.want)}`, interpreted(program.run(data(s.op))), s.want.kind === 'allow' ? 'allow' : wantText(s.want));
    }
    const killer = specs.findIndex((s) => s.want.kind === 'kill');
    const survivors = killer === -1 ? specs : specs.slice(0, killer);
    if (killer !== -1) {
      const dead = await victim(filter, specs.map((s) => s.op));
      const s = specs[killer];
      equal(`compile: ${title}: kernel: ${s.desc} kills the process with SIGSYS`, dead.signal, 'SIGSYS', seen(dead));
      equal(`compile: ${title}: kernel: nothing written after the kill`, dead.stdout, '', seen(dead));
      equal(`compile: ${title}: kernel: the kill came at ${s.desc}`, announced(dead.stderr).at(-1), opText(s.op), seen(dead));
    }
    const r = await victim(filter, survivors.map((s) => s.op));
    if (!equal(`compile: ${title}: kernel: the victim${killer === -1 ? '' : ' without the killing call'} runs to its end under the filter`, r.status, 0, seen(r))) return path;
    let report;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      check(`compile: ${title}: kernel: the victim's report is JSON`, false, seen(r));
      return path;
    }
    survivors.forEach((s, i) => {
      const res = report.results[i];
      const ret = BigInt(res.ret);
      if (s.want.kind === 'allow') {
        const want = s.want.value ?? (s.op.syscall === 'getpid' ? BigInt(report.pid) : undefined);
        if (want !== undefined) check(`compile: ${title}: kernel: ${s.desc} is allowed and returns ${want}`, res.errno === 0 && ret === want, { result: res });
        else check(`compile: ${title}: kernel: ${s.desc} is allowed (returns ${ret})`, res.errno === 0 && ret >= 0n, { result: res });
      } else {
        const e = errnoNumber(s.want.errno);
        check(`compile: ${title}: kernel: ${s.desc} fails with ${s.want.errno} (x0 = -${e})`, res.errno === e && ret === -BigInt(e), { result: res });
      }
    });
    return path;
  }

  // The same groups as the x86_64 suite's test/compile/kernel.test.ts, from one table (copied here by lib.sh).
  const runtime = { ppid: BigInt(process.pid), uid: BigInt(process.getuid()) }; // the victim's parent is this runner
  let first;
  for (const g of KERNEL_GROUPS) {
    const path = await group(g.title, g.yaml, g.specs.map((s) => ({ ...s, want: resolveWant(s.want, runtime) })));
    first ??= path;
  }

  // The CLI on this machine: no --arch means aarch64, and the same bytes the victim ran under.
  const out = join(dir, 'cli.bpf');
  const r = await syscage(['compile', first, '--unsupervised', '--format', 'bpf', '-o', out], { timeoutMs: 120_000 });
  if (equal('compile: `syscage compile --unsupervised --format bpf` (no --arch) exits 0', r.status, 0, seen(r))) {
    const want = readFileSync(`${first}.bpf`);
    check('compile: the CLI wrote the aarch64 program the kernel ran above, byte for byte', Buffer.compare(readFileSync(out), want) === 0, { cliBytes: readFileSync(out).length, libBytes: want.length });
  }
}
