// syscage doctor [--json] [--profile P] — what this platform allows and which enforcement tier syscage will use.
import type { Argv } from 'yargs';
import { formatReport, profileTiers, runDoctor, type DoctorOptions } from '../doctor/index.js';
import { loadForCommand } from './common.js';
import type { Command } from './common.js';
import { UsageError } from './io.js';

interface Args { json: boolean; timeout?: number; profile?: string }

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
    describe: 'Report what this platform allows and which enforcement tier syscage will use',
    builder: (y: Argv) =>
      y.option('json', { type: 'boolean', default: false, describe: 'one JSON object: {version, arch, kernel, node, nodeEndOfLife, lambda, probes: {NAME: {ok, detail}}, mode, modeReason, limits}' })
        .option('profile', { alias: 'p', type: 'string', describe: 'also say which tier this profile gets here, and what each tier would enforce of it' })
        .option('timeout', { type: 'number', describe: 'ms a probe process may take before it counts as failed (default 5000; raise it on a slow or emulated machine)' })
        .example('$0 doctor', 'a table: one line per probe, the mode, the known limits')
        .epilogue('Tiers: kernel (mode supervised: seccomp + ptrace, every rule enforced before the call); bpf (mode bpf-only: ' +
          'seccomp only: files and network checks fall back to the violation action, and a profile with an exec section cannot start); ' +
          'runtime (mode unavailable: neither; a profile with weakest_tier: runtime runs under the process monitor, which kills after the fact).\n\n' +
          `Exit status: ${DOCTOR_EXIT.ok} when syscage can enforce the kernel or bpf tier here (with --profile: when that profile can run here), ` +
          `${DOCTOR_EXIT.unavailable} when it cannot.`),
    run: async (args, io) => {
      if (args.timeout !== undefined && !(Number.isFinite(args.timeout) && args.timeout > 0)) {
        throw new UsageError(`--timeout must be a positive number of milliseconds, got ${String(args.timeout)}`);
      }
      // A bad profile is a usage error before any probe runs.
      const profile = args.profile === undefined ? undefined : loadForCommand(args.profile, io);
      const probed = await runDoctor(args.timeout === undefined ? options : { ...options, processTimeoutMs: args.timeout, probeTimeoutMs: Math.max(options.probeTimeoutMs ?? 20000, 4 * args.timeout) });
      const report = profile ? { ...probed, profile: profileTiers(profile, probed) } : probed;
      io.out(args.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      if (report.profile) return report.profile.tier ? DOCTOR_EXIT.ok : DOCTOR_EXIT.unavailable;
      return report.mode === 'unavailable' ? DOCTOR_EXIT.unavailable : DOCTOR_EXIT.ok;
    },
  };
}

export const doctor = doctorCommand();
