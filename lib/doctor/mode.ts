// Which enforcement mode syscage will use, from the probes' answers, and why
// in one sentence.
//
//   supervised   seccomp + ptrace: every rule enforced
//   bpf-only     seccomp only: what files / network rules would check gets the violation action;
//                signals are not checked; a profile with an exec section cannot start (nothing
//                could tell the launch's own execve from a later one: lib/trace/supervisor.ts)
//   unavailable  no usable seccomp: syscage refuses to run
import type { ProbeName, ProbeResult } from './units.js';

export type Mode = 'supervised' | 'bpf-only' | 'unavailable';

/** What syscage needs to run at all, in the order a reason is looked for, with a short why. */
export const NEEDED_TO_RUN: readonly (readonly [ProbeName, string])[] = [
  ['seccomp.action.allow', 'seccomp is not usable here: SECCOMP_RET_ALLOW is not available'],
  ['seccomp.action.errno', 'SECCOMP_RET_ERRNO, which deny rules use, is not available'],
  ['seccomp.action.kill_process', 'SECCOMP_RET_KILL_PROCESS, which kill rules use, is not available'],
  ['seccomp.action.log', 'SECCOMP_RET_LOG, which log rules use, is not available'],
  ['prctl.no_new_privs', 'no_new_privs can neither be set nor is it set already'],
  ['seccomp.filter', 'a seccomp filter cannot be installed'],
];

/** What the supervisor needs besides, in the same form. */
export const NEEDED_TO_SUPERVISE: readonly (readonly [ProbeName, string])[] = [
  ['seccomp.action.trace', 'SECCOMP_RET_TRACE is not available'],
  ['ptrace.seize', 'ptrace is not permitted'],
  ['ptrace.syscall_info', 'PTRACE_GET_SYSCALL_INFO does not work'],
  ['ptrace.deny', 'a tracer cannot refuse a call through the registers'],
  ['process_vm_readv', 'the supervisor cannot read the sandboxed program\'s memory'],
];

export interface ModeDecision {
  readonly mode: Mode;
  readonly modeReason: string;
}

/**
 * @param archSupported false when syscage has no syscall table for this machine (not x86_64/aarch64)
 * @param arch          the machine's arch as Node names it, for that sentence
 */
export function decideMode(probes: Readonly<Partial<Record<ProbeName, ProbeResult>>>, archSupported: boolean, arch: string): ModeDecision {
  if (!archSupported) {
    return { mode: 'unavailable', modeReason: `syscage supports x86_64 and aarch64, not ${arch}, so it refuses to run here.` };
  }
  const failed = (list: readonly (readonly [ProbeName, string])[]): readonly [ProbeName, string] | undefined =>
    list.find(([name]) => probes[name]?.ok !== true);

  const cannotRun = failed(NEEDED_TO_RUN);
  if (cannotRun) {
    return {
      mode: 'unavailable',
      modeReason: `${cannotRun[1]} (${cannotRun[0]}), so syscage refuses to run: it never runs a command without its seccomp filter.`,
    };
  }
  const cannotSupervise = failed(NEEDED_TO_SUPERVISE);
  if (cannotSupervise) {
    return {
      mode: 'bpf-only',
      modeReason: `${cannotSupervise[1]} (${cannotSupervise[0]}), so syscage runs BPF-only: syscalls lists and argument rules are enforced in the kernel, but every call a files or network rule would check gets the violation action, signals are not checked, and a profile with an exec section cannot start its command.`,
    };
  }
  return {
    mode: 'supervised',
    modeReason: 'seccomp filters install and a tracer can seize, read and refuse a child\'s calls, so syscage enforces every rule, files, exec, network and signals included.',
  };
}
