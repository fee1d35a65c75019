// Shared pieces of the command modules: the command shape, and options
// several commands take.
import type { Argv } from 'yargs';
import { parseArch, type Arch } from '../arch/index.js';
import { formatDiagnostic, loadProfile, type Profile } from '../profile/index.js';
import { UsageError, type Io } from './io.js';
import { PreparedTracer } from '../trace/index.js';

/** What bin/syscage may have started before parsing (see lib/trace/prepare.ts). */
export interface RunContext {
  readonly prepared?: PreparedTracer;
}

/** A command: yargs wiring plus a function that does the work and returns the exit status. */
export interface Command<A> {
  readonly command: string;
  readonly describe: string;
  readonly builder: (y: Argv) => Argv<unknown>;
  readonly run: (args: A, io: Io, ctx: RunContext) => number | Promise<number>;
}

export const archOption = {
  type: 'string',
  coerce: (v: string | string[]) => {
    const one = (s: string): Arch => {
      const a = parseArch(s);
      if (!a) throw new UsageError(`unknown arch "${s}" (expected x86_64 or aarch64)`);
      return a;
    };
    return Array.isArray(v) ? v.map(one) : one(v);
  },
} as const;

/** Load a profile for a command and print its warnings; a ProfileError goes up to main. */
export function loadForCommand(path: string, io: Io): Profile {
  const { profile, warnings } = loadProfile(path);
  for (const w of warnings) io.err(formatDiagnostic(w) + '\n');
  return profile;
}

/**
 * The command's tracer thread — the one bin/syscage started early, or a new one — ended however
 * the command ends: its status, a usage error, an exception.
 */
export async function withTracer<T>(ctx: RunContext, use: (tracer: PreparedTracer) => Promise<T>): Promise<T> {
  const tracer = ctx.prepared ?? new PreparedTracer();
  try {
    return await use(tracer);
  } finally {
    await tracer.cancel();
  }
}
