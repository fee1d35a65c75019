// `syscage doctor` and `syscage doctor --json` on the real aarch64 kernel, with the layer's node:
// the arch is aarch64, and every capability syscage needs is found and works (seccomp actions, a
// filter in a child, PTRACE_SEIZE, PTRACE_GET_SYSCALL_INFO at a seccomp stop with arm64's syscall
// number, a refusal by register writes, process_vm_readv), so the mode is supervised; it names the
// layer's Node.js, not past its end of life. The kernel is a Debian 6.1 arm64 kernel: everything
// doctor probes is there.
import { release } from 'node:os';
import { check, equal, matches, seen, syscage } from './helpers.mjs';

export default async function doctorChecks() {
  // One after the other. A Node probe process under emulation on a busy host can take longer than
  // doctor's default 5 s per probe: --timeout gives them 60 s (a timed-out probe would be a false "no").
  const doctor = (argv) => syscage([...argv, '--timeout', '60000'], { timeoutMs: 300_000 });
  const json = await doctor(['doctor', '--json']);
  const text = await doctor(['doctor']);

  // ---- --json --------------------------------------------------------------------------------
  equal('doctor --json: exit 0', json.status, 0, seen(json));
  let report;
  try {
    report = JSON.parse(json.stdout);
  } catch (e) {
    check('doctor --json: one JSON object on stdout', false, seen(json, { error: e.message }));
    return;
  }
  equal('doctor --json: arch is aarch64', report.arch, 'aarch64', { report });
  equal('doctor --json: kernel is this VM\'s', report.kernel, release(), { report });
  equal('doctor --json: node is the layer\'s', report.node, process.version, { report });
  equal('doctor --json: the layer\'s Node.js is not past its end of life', report.nodeEndOfLife?.past, false, { nodeEndOfLife: report.nodeEndOfLife });
  equal('doctor --json: not inside Lambda', report.lambda?.inside, false, { lambda: report.lambda });
  const probes = report.probes ?? {};
  for (const name of ['seccomp.action.allow', 'seccomp.action.errno', 'seccomp.action.kill_process', 'seccomp.action.log', 'seccomp.action.trace',
    'prctl.no_new_privs', 'seccomp.filter', 'ptrace.seize', 'ptrace.syscall_info', 'ptrace.deny', 'process_vm_readv']) {
    check(`doctor --json: ${name} works here`, probes[name]?.ok === true, { probe: probes[name] });
  }
  const failing = Object.entries(probes).filter(([, p]) => !p.ok);
  check('doctor --json: no probe fails on this kernel', failing.length === 0, { failing });
  matches('doctor --json: ptrace.syscall_info saw the seccomp stop of getppid with arm64\'s number (173)', probes['ptrace.syscall_info']?.detail, /getppid \(173\)/, { probe: probes['ptrace.syscall_info'] });
  matches('doctor --json: ptrace.deny: the child saw the errno the tracer wrote into x0 (EDOM)', probes['ptrace.deny']?.detail, /child saw EDOM/, { probe: probes['ptrace.deny'] });
  equal('doctor --json: mode supervised', report.mode, 'supervised', { modeReason: report.modeReason });

  // ---- the table -----------------------------------------------------------------------------
  equal('doctor: exit 0', text.status, 0, seen(text));
  matches('doctor: the first line names aarch64 and this kernel', text.stdout.split('\n')[0], new RegExp(`doctor: aarch64, Linux ${release().replace(/\./g, '\\.')},`), seen(text));
  for (const name of Object.keys(probes)) {
    matches(`doctor: the table says ${name} as --json does`, text.stdout, new RegExp(`^${probes[name].ok ? '✓' : '✗'} ${name.replace(/\./g, '\\.')}\\s`, 'm'), seen(text));
  }
  equal('doctor: the second line names the layer\'s Node.js, no end-of-life warning', text.stdout.split('\n')[1], `node: ${process.version}`, seen(text));
  matches('doctor: mode supervised', text.stdout, /^mode: supervised:/m, seen(text));
}
