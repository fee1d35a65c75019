// Putting a handler under its seatbelt: which runtime the handler command
// starts (Node.js, Python, or neither), and that command rewritten so that the
// seatbelt is in place before any of the handler's code runs.
//
//   node ARGS     → node ARGS, with NODE_OPTIONS = the permission-model flags and
//                   --import of the preload (the function's own NODE_OPTIONS is
//                   dropped: it could add grants)
//   python ARGS   → python -I -S launcher.py ARGS (-I: no PYTHONPATH, no user
//                   site; -S: no site, so no sitecustomize of the function's
//                   runs first; the launcher installs the audit hook, then
//                   restores both)
//   anything else → unchanged: the process monitor alone
//
// Both get the policy in SYSCAGE_SEATBELT_POLICY and the report channel's
// descriptor in SYSCAGE_SEATBELT_FD.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveCommand } from '../launch/resolve.js';
import { compiledFile, packageRoot } from '../paths.js';
import type { Profile, Tier } from '../profile/types.js';
import { nodeFlags } from './node-flags.js';
import { seatbeltPolicy } from './policy.js';
import { CHANNEL_ENV, CHANNEL_FD, POLICY_ENV, type SeatbeltPolicy } from './types.js';

export type SeatbeltRuntime = 'node' | 'python';

/** The preload and the launcher, as installed (the layer, the package, this checkout). */
export const preloadFile = (): string => compiledFile('seatbelt', 'node-preload.js');
export const LAUNCHER = join(packageRoot(), 'lib', 'seatbelt', 'python', 'launcher.py');

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** Which runtime the command starts, by the name of the program it resolves to (node, nodejs, python3.11...). */
export function handlerRuntime(command: readonly string[], env: NodeJS.ProcessEnv): { runtime?: SeatbeltRuntime; path?: string } {
  const [cmd] = command;
  if (cmd === undefined) return {};
  const r = resolveCommand(cmd, env);
  if (!('path' in r)) return {};
  const names = [basename(cmd), basename(real(r.path))];
  if (names.some((n) => /^node(js)?$/.test(n))) return { runtime: 'node', path: r.path };
  if (names.some((n) => /^python(\d+(\.\d+)?)?$/.test(n))) return { runtime: 'python', path: r.path };
  return { path: r.path };
}

/** The version of a node binary: this process's own when it is the same file, else asked once. */
const versions = new Map<string, string>();
export function nodeVersion(path: string): string {
  const file = real(path);
  if (file === real(process.execPath)) return process.versions.node;
  let v = versions.get(file);
  if (v === undefined) {
    v = execFileSync(file, ['-p', 'process.versions.node'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    versions.set(file, v);
  }
  return v;
}

export interface Seatbelted {
  readonly runtime: SeatbeltRuntime;
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** What the seatbelt cannot do here, one sentence each (said in the init log). */
  readonly notes: readonly string[];
  /** syscage's own files the handler holds open for its seatbelt (the launcher while Python compiles it): never a finding of the monitor. */
  readonly own: readonly string[];
}

/** The command under its seatbelt, or undefined when it starts neither Node.js nor Python. */
export function seatbelted(command: readonly string[], env: NodeJS.ProcessEnv, policy: SeatbeltPolicy): Seatbelted | undefined {
  const { runtime, path } = handlerRuntime(command, env);
  if (!runtime || !path) return undefined;
  const shared = { ...env, [POLICY_ENV]: JSON.stringify(policy), [CHANNEL_ENV]: String(CHANNEL_FD) };
  if (runtime === 'python') {
    return { runtime, command: [command[0]!, '-I', '-S', LAUNCHER, ...command.slice(1)], env: shared, notes: [], own: [LAUNCHER] };
  }
  const notes: string[] = [];
  const preload = preloadFile();
  if (env.NODE_OPTIONS?.trim()) notes.push(`the function's NODE_OPTIONS (${env.NODE_OPTIONS.trim()}) is dropped: it could widen the seatbelt`);
  const flags = nodeFlags(policy, nodeVersion(path), {
    preload,
    readable: [packageRoot()],
    workers: env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined,
  });
  notes.push(...flags.notes);
  return { runtime, command, env: { ...shared, NODE_OPTIONS: flags.flags.join(' ') }, notes, own: [preload] };
}

/** What the seatbelts do for one run: the command under its seatbelt (if any), and what to say. */
export interface SeatbeltChoice {
  /** Undefined: the handler runs without one (neither Node.js nor Python, or not in this tier yet). */
  readonly belt?: Seatbelted;
  /** One sentence for the init log or stderr: which seatbelt, or why none. */
  readonly said: string;
  readonly notes: readonly string[];
}

const SAID = {
  node: 'the Node.js permission model and syscage\'s preload refuse before the act',
  python: 'a Python audit hook refuses before the act',
} as const;

/**
 * The seatbelt for a run in `tier`, or undefined when the profile does not want one there
 * (seatbelts.tiers). Throws when it cannot be set up (the handler must not start without it).
 */
export function chooseSeatbelt(profile: Profile, tier: Tier, command: readonly string[], env: NodeJS.ProcessEnv, always: readonly string[] = []): SeatbeltChoice | undefined {
  if (!profile.seatbelts.tiers.value.includes(tier)) return undefined;
  if (tier !== 'runtime') {
    return { said: `none: this version runs the seatbelts in the runtime tier only (seatbelts.tiers names ${tier}); the supervisor enforces the profile`, notes: [] };
  }
  const belt = seatbelted(command, env, seatbeltPolicy(profile, { always }));
  if (!belt) return { said: 'none: the command is neither Node.js nor Python, so only the process monitor watches it, after the fact', notes: [] };
  return { belt, said: `${belt.runtime}: ${SAID[belt.runtime]}; the process monitor watches the rest`, notes: belt.notes };
}
