// syscage doctor [--json] — what this platform allows and which enforcement mode syscage will use.
import type { Argv } from 'yargs';
import { formatReport, runDoctor, type DoctorOptions } from '../doctor/index.js';
import type { Command } from './common.js';

interface Args { json: boolean }

/** Exit statuses of `syscage doctor`. */
export const DOCTOR_EXIT = {
  /** syscage can run here: supervised or BPF-only (the report says which). */
  ok: 0,
  /** syscage cannot run here (no usable seccomp). */
  unavailable: 3,
} as const;

/** The command, with the doctor's dependencies injectable (tests). */
export function doctorCommand(options: DoctorOptions = {}): Command<Args> {
  return {
    command: 'doctor',
    describe: 'Report what this platform allows and which enforcement mode syscage will use',
    builder: (y: Argv) =>
      y.option('json', { type: 'boolean', default: false, describe: 'one JSON object: {version, arch, kernel, node, lambda, probes: {NAME: {ok, detail}}, mode, modeReason, limits}' })
        .example('$0 doctor', 'a table: one line per probe, the mode, the known limits')
        .epilogue('Modes: supervised (seccomp + ptrace: every rule enforced); bpf-only (seccomp only: files and network ' +
          'checks fall back to the violation action, and a profile with an exec section cannot start); ' +
          'unavailable (no usable seccomp: syscage refuses to run).\n\n' +
          `Exit status: ${DOCTOR_EXIT.ok} when syscage can run here (supervised or bpf-only), ${DOCTOR_EXIT.unavailable} when it cannot (unavailable).`),
    run: async (args, io) => {
      const report = await runDoctor(options);
      io.out(args.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      return report.mode === 'unavailable' ? DOCTOR_EXIT.unavailable : DOCTOR_EXIT.ok;
    },
  };
}

export const doctor = doctorCommand();
