// The Node.js permission-model flags for a seatbelt policy, and the preload's
// --import: what the bootstrap puts in a Node handler's NODE_OPTIONS.
//
// The permission model is the floor under the preload (node-preload.ts): it
// is enforced in C++, so it holds where the preload cannot see (a Worker
// started without it, process.binding, code that gets past a wrapper). It is
// coarse: file grants are path prefixes (everything after a "*" is ignored, a
// directory grants its subtree), no deny rules, and --allow-net (Node >= 25)
// is all or nothing. The exact globs, files.deny, exec.allow, the network
// rules and the addon pin are the preload's.
//
//   --permission            Node >= 22.13 (22.x) / >= 23.5: earlier versions have no stable permission
//                           model and run under the preload alone (a note says so)
//   --permission-audit      instead, under mode: audit (Node >= 25.8; earlier: no permission model)
//   --allow-fs-read=P       per literal prefix of files.read, files.write (write implies read),
//                           exec.allow (the preload resolves programs' realpaths), the preload, `readable`
//   --allow-fs-write=P      per literal prefix of files.write
//   (no files section)      --allow-fs-read=* --allow-fs-write=*
//   --allow-child-process   when a spawn could be allowed: process.fork and (no exec section or a
//                           non-empty exec.allow)
//   --allow-addons          always (the runtime interface client's native addon); the preload pins
//                           addons to seatbelts.native
//   --allow-net             Node >= 25, always: a Lambda handler must reach the Runtime API
//   --allow-worker          only when asked (o.workers)
//   never --allow-wasi, --allow-inspector, --allow-ffi, --allow-fs-vfs, --allow-openssl-store
//
// Every flag is written as NODE_OPTIONS reads it: a value with a space, a
// quote or a backslash is put in double quotes (inside which \ escapes).
import { pathToFileURL } from 'node:url';
import type { PolicyGlobList, SeatbeltPolicy } from './types.js';

export interface NodeFlagOptions {
  /** Absolute path of node-preload.js. */
  readonly preload: string;
  /** Extra directories the runtime itself must read (syscage's own install). */
  readonly readable: readonly string[];
  /** Grant --allow-worker (the runtime client starts worker threads). */
  readonly workers?: boolean;
}

export interface NodeFlags {
  /** Each one a NODE_OPTIONS word (quoted where it must be): join them with spaces. */
  readonly flags: string[];
  /** What the permission model cannot do on this version, one sentence each. */
  readonly notes: string[];
}

type Version = readonly [number, number, number];

export function parseNodeVersion(version: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

const atLeast = (v: Version, major: number, minor: number, patch = 0): boolean =>
  v[0] !== major ? v[0] > major : v[1] !== minor ? v[1] > minor : v[2] >= patch;

/** --permission without the "experimental" prefix: 22.13.0 on the 22 line, 23.5.0 after. */
export function hasPermissionModel(v: Version): boolean {
  if (v[0] === 22) return atLeast(v, 22, 13);
  if (v[0] === 23) return atLeast(v, 23, 5);
  return v[0] > 23;
}

/**
 * The permission-model grant for a glob: its literal prefix up to the first
 * wildcard. A prefix ending in "/" is a directory (granted with its subtree);
 * one that stops inside a segment keeps a "*" (the model ignores what follows
 * it): /var/task/** → /var/task/, /usr/lib/python3* /** → /usr/lib/python3*.
 */
export function grantPrefix(glob: string): string {
  const i = glob.search(/[*?]/);
  if (i < 0) return glob;
  const head = glob.slice(0, i);
  return head.endsWith('/') ? head : `${head}*`;
}

/** One NODE_OPTIONS word: quoted when it holds a space, a tab, a quote or a backslash. */
export function nodeOptionWord(word: string): string | undefined {
  if (/[\n\r\0]/.test(word)) return undefined;
  if (!/[\s"\\]/.test(word)) return word;
  return `"${word.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function prefixes(list: PolicyGlobList | undefined, notes: string[], what: string): string[] {
  const out: string[] = [];
  for (const e of list?.entries ?? []) {
    if (e.text === undefined) {
      notes.push(`a ${what} entry has no glob text (${e.re}); the permission model grants nothing for it`);
      continue;
    }
    out.push(grantPrefix(e.text));
  }
  return out;
}

export function nodeFlags(policy: SeatbeltPolicy, version: string, o: NodeFlagOptions): NodeFlags {
  const flags: string[] = [];
  const notes: string[] = [];
  const add = (flag: string, value?: string): void => {
    const word = nodeOptionWord(value === undefined ? flag : `${flag}=${value}`);
    if (word === undefined) notes.push(`${flag}=${JSON.stringify(value)} cannot be written in NODE_OPTIONS (a newline or NUL): left out`);
    else if (!flags.includes(word)) flags.push(word);
  };
  const v = parseNodeVersion(version);
  let pm = v !== undefined && hasPermissionModel(v);
  // mode: audit refuses nothing: the permission model's own audit mode (25.8) reports and lets through.
  const audit = !policy.enforce;
  if (v && pm && audit && !atLeast(v, 25, 8)) {
    pm = false;
    notes.push(`mode: audit: Node.js ${version} has no --permission-audit (25.8): the permission model is left off, the preload reports`);
  }

  if (!pm) {
    if (!audit) notes.push(`Node.js ${version} has no stable permission model (--permission needs >= 22.13 or >= 23.5): only the preload guards this handler, and code that gets past it (process.binding on old versions, a Worker) is not stopped`);
  } else {
    add(audit ? '--permission-audit' : '--permission');
    if (!policy.files) {
      add('--allow-fs-read', '*');
      add('--allow-fs-write', '*');
    } else {
      const write = prefixes(policy.files.write, notes, 'files.write');
      const read = [...prefixes(policy.files.read, notes, 'files.read'), ...write, ...prefixes(policy.exec?.allow, notes, 'exec.allow')];
      for (const p of [...read, o.preload, ...o.readable]) add('--allow-fs-read', p);
      for (const p of write) add('--allow-fs-write', p);
    }
    if (policy.fork.allowed && (!policy.exec || policy.exec.allow.entries.length > 0)) add('--allow-child-process');
    add('--allow-addons');
    if (v && v[0] >= 25) add('--allow-net');
    else notes.push(`Node.js ${version} has no --allow-net (added in 25): the network rules are the preload's alone`);
    if (o.workers) add('--allow-worker');
  }
  add(`--import=${pathToFileURL(o.preload).href}`);
  return { flags, notes };
}
