// The invocations on the hot paths — `syscage bootstrap` (every Lambda cold start) and a
// well-formed `syscage run --profile P [--audit] [--log F] [-v] -- CMD…` — parsed without yargs,
// whose load alone costs more than a Node start. Anything else (help, a typo, an unknown flag, a
// missing value) is left to yargs (main.ts), which says what is wrong. test/cli/fast.test.ts
// checks that both parsers agree on every form this one accepts.

import type { RunContext } from './common.js';
import type { Io } from './io.js';

export type FastCommand =
  | { readonly name: 'bootstrap'; readonly args: Record<string, never> }
  | { readonly name: 'run'; readonly args: { profile: string; audit: boolean; verbose: boolean; log?: string; '--': string[] } };

export function fastArgs(argv: readonly string[]): FastCommand | undefined {
  if (argv.length === 1 && argv[0] === 'bootstrap') return { name: 'bootstrap', args: {} };
  if (argv[0] !== 'run') return undefined;
  let profile: string | undefined;
  let log: string | undefined;
  let audit = false;
  let verbose = false;
  let i = 1;
  for (; i < argv.length && argv[i] !== '--'; i++) {
    const a = argv[i]!;
    const eq = /^--(profile|log)=(.+)$/.exec(a);
    const flag = eq ? eq[1] : a === '--profile' || a === '-p' ? 'profile' : a === '--log' ? 'log' : undefined;
    if (flag) {
      const v = eq ? eq[2] : argv[++i];
      // A value that looks like a flag, or a flag given twice, is yargs's to judge.
      if (v === undefined || v.startsWith('-') || (flag === 'profile' ? profile : log) !== undefined) return undefined;
      if (flag === 'profile') profile = v;
      else log = v;
    } else if (a === '--audit' && !audit) audit = true;
    else if ((a === '--verbose' || a === '-v') && !verbose) verbose = true;
    else return undefined;
  }
  const command = argv.slice(i + 1);
  if (profile === undefined || i >= argv.length || command.length === 0) return undefined;
  return { name: 'run', args: { profile, audit, verbose, ...(log !== undefined ? { log } : {}), '--': command } };
}

/** Run a command fastArgs accepted, as main would: its exit status, errors reported the same way. */
export async function runFast(fast: FastCommand, io: Io, ctx: RunContext): Promise<number> {
  try {
    if (fast.name === 'bootstrap') return await (await import('./bootstrap.js')).bootstrap.run(fast.args, io, ctx);
    return await (await import('./run.js')).run.run(fast.args, io, ctx);
  } catch (e) {
    // Loaded only now: its imports (the profile loader, yaml) would delay the tracer's start.
    return (await import('./failure.js')).reportError(e, io);
  } finally {
    await ctx.prepared?.cancel();
  }
}
