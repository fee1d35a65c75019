// An Observation → a PROFILE-v1 YAML text: what `syscage record` writes.
//
// The text is stable (the same observation and options give the same bytes:
// everything sorted, no timestamp unless asked for), loads with loadProfile
// and compiles for both arches. Every entry carries a comment: how often it
// was used and, when it was generalised, how many things it stands for and
// one of them. Sensitive grants are marked `# WARNING:` above the entry and
// listed in the header; they are returned too, for the command to print.
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Profile } from '../profile/types.js';
import { compileMatchers, addressQuery } from '../trace/decide/matchers.js';
import { blockList, comments, plural, scalar, shellLine, type Item } from './yaml-text.js';
import {
  DIR_THRESHOLD, PORT_RANGE, generaliseAddresses, generaliseFiles, generalisePrograms,
  type Entry, type GeneraliseOptions,
} from './generalise.js';
import type { Observation } from '../trace/observation.js';
import { recordSyscalls, type SyscallEntry } from './syscalls.js';

export interface WriteOptions {
  /** The command that was recorded (for the header and the profile's name). */
  readonly command: readonly string[];
  /** `extends:` of the written profile: a built-in name or a path. */
  readonly extendsName?: string;
  /** Record only what this (loaded) profile does not already allow; the output extends it (extendsName, else its name). */
  readonly base?: Profile;
  /** The syscalls seen only: no families, nothing added. */
  readonly exact?: boolean;
  /** Why the run did not finish, e.g. "interrupted by SIGINT": said at the top. */
  readonly incomplete?: string;
  /** A date for the header; none by default, so that the text is stable. */
  readonly date?: string;
  /** Where the profile will be written: a path-like extendsName is made relative to it. */
  readonly output?: string;
  /** Thresholds of the generalisation (see generalise.ts). */
  readonly generalise?: GeneraliseOptions;
}

export interface Written {
  readonly yaml: string;
  /** Sensitive grants and what could not be recorded as observed, one line each. */
  readonly warnings: string[];
}

const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/** The profile's name: the command's basename, reduced to a tidy word. */
export function profileName(command: readonly string[]): string {
  const n = basename(command[0] ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return n || 'recorded';
}

/** `extends:` as written in the output: a path is made relative to where the output goes. */
function extendsRef(name: string, output: string | undefined): string {
  const isPath = name.includes('/') || /\.ya?ml$/.test(name);
  if (!isPath || !output) return name;
  const rel = relative(dirname(resolve(output)), resolve(name));
  if (isAbsolute(rel)) return rel;
  return rel.startsWith('../') ? rel : `./${rel}`;
}

/** "12 files, e.g. /tmp/upload-3f2a.json" and the like. */
function entryComment(e: Entry, noun: { one: string; many: string }, calls: (e: Entry) => string): string {
  const what = e.rule === 'shared libraries' ? 'shared libraries: '
    : e.rule === 'directory' ? 'many entries: '
    : e.rule === 'other process' ? "other processes': "
    : e.rule === 'ephemeral port' ? 'ephemeral ports: '
    : e.rule === 'host names' ? 'host names: '
    : '';
  if (e.rule === 'autobind') return `autobind: bind() without a name, the kernel picks one (${calls(e)})`;
  if (!e.example) return calls(e);
  return `${what}${plural(e.count, noun.one, noun.many)}, e.g. ${e.example}`;
}

const callsOf = (n: number): string => plural(n, 'call');

function item(e: Entry, text: string, comment: string): Item {
  return { text, comment, warnings: e.warnings };
}

interface Subtracted {
  readonly obs: Observation;
  readonly warnings: string[];
}

/** The observation without what the base profile already allows. */
function subtract(obs: Observation, base: Profile): Subtracted {
  const m = compileMatchers(base);
  const warnings: string[] = [];
  const files: Observation['files'] = {};
  for (const [p, n] of Object.entries(obs.files)) {
    if (m.files?.deny.test(p)) {
      warnings.push(`the base profile denies ${p} (files.deny), which the command used: files.deny wins, so the recorded profile cannot allow it`);
      continue;
    }
    const allowed = m.files ? (n.write > 0 ? m.files.write.test(p) : m.files.readable.test(p)) : false;
    if (!allowed) files[p] = n;
  }
  const exec = Object.fromEntries(Object.entries(obs.exec).filter(([p]) => !m.exec?.allow.test(p)));
  const dests = (all: Record<string, number>, kind: 'connect' | 'bind') => Object.fromEntries(Object.entries(all).filter(([t]) => {
    const list = m.network?.[kind];
    if (!list) return true;
    if (t === 'unix:') return !list.anyAbstract();
    const q = addressQuery(t);
    return !q || !list.which(q);
  }));
  return { obs: { ...obs, files, exec, connect: dests(obs.connect, 'connect'), bind: dests(obs.bind, 'bind') }, warnings };
}

export function writeProfile(observation: Observation, opts: WriteOptions): Written {
  if (observation.arch !== 'x86_64' && observation.arch !== 'aarch64') throw new Error(`internal: an observation of unknown arch "${observation.arch}"`);
  const g = opts.generalise ?? {};
  const sub = opts.base ? subtract(observation, opts.base) : { obs: observation, warnings: [] };
  const obs = sub.obs;

  const sys = recordSyscalls(observation, { exact: opts.exact, base: opts.base });
  const files = generaliseFiles(obs.files, g);
  const exec = generalisePrograms(obs.exec, g);
  const connect = generaliseAddresses(obs.connect, 'connect', g);
  const bind = generaliseAddresses(obs.bind, 'bind', g);
  const warnings = [...sys.warnings, ...sub.warnings, ...files.warnings, ...exec.warnings, ...connect.warnings, ...bind.warnings];

  const extendsName = opts.extendsName ?? opts.base?.name;
  const [lo, hi] = g.portRange ?? PORT_RANGE;
  const threshold = g.dirThreshold ?? DIR_THRESHOLD;

  // --- header --------------------------------------------------------------
  const o = observation;
  const destinations = new Set([...Object.keys(o.connect), ...Object.keys(o.bind)]).size;
  const head: string[] = [`Recorded by syscage record from: ${shellLine(opts.command)}`];
  if (opts.incomplete) head.push(`INCOMPLETE: ${opts.incomplete} — the run did not finish; review before use`);
  if (opts.date) head.push(`Date: ${opts.date}`);
  head.push(
    `Seen on ${o.arch}: ${plural(sum(o.syscalls), 'call')}, ${plural(Object.keys(o.syscalls).length, 'distinct syscall')}, ` +
    `${plural(Object.keys(o.files).length, 'path')}, ${plural(Object.keys(o.exec).length, 'program')}, ` +
    `${plural(destinations, 'destination')}; ${plural(o.forks, 'process', 'processes')} and ${plural(o.threads, 'thread')} created.`,
    '',
    opts.exact
      ? 'Syscalls: exactly those seen (--exact).'
      : 'Syscalls: those seen, completed by family (a member not seen says so), plus exit, exit_group, restart_syscall, rt_sigreturn.',
    'A syscall that exists on one arch only is listed under syscalls.x86_64 / syscalls.aarch64.',
    `Generalised: per-run names (temporary names, ids, pids) → "*" within the name; other processes' /proc/N → /proc/*`,
    `(harmless entries only); shared libraries → their directory/**; ${threshold}+ entries under one directory → DIR/**;`,
    `ephemeral ports of this machine → ${lo}-${hi}. A path written is listed under files.write only (write implies read).`,
  );
  if (extendsName && opts.base) head.push(`Extends ${extendsName}: only what it does not already allow is listed.`);
  if (warnings.length > 0) head.push('');
  const text: string[] = [...comments(head), ...warnings.map((w) => `# WARNING: ${w.replace(/[\r\n]+/g, ' ')}`)];

  // --- body ----------------------------------------------------------------
  text.push('version: 1', `name: ${scalar(profileName(opts.command))}`);
  if (extendsName) text.push(`extends: ${scalar(extendsRef(extendsName, opts.output))}`);
  text.push('default: deny', 'syscalls:');
  const sysItem = (e: SyscallEntry): Item => ({
    text: e.name,
    comment: e.calls > 0 ? callsOf(e.calls) : e.familyOf ? `not seen; family of ${e.familyOf}` : e.because ? `not seen; ${e.because}` : 'not seen; every program may need it',
  });
  text.push(...blockList('allow', 2, sys.common.map(sysItem)));
  for (const a of ['x86_64', 'aarch64'] as const) {
    if (sys.arch[a].length === 0) continue;
    text.push(`  ${a}:`, ...blockList('allow', 4, sys.arch[a].map(sysItem)));
  }
  if (sys.withheld.length > 0) {
    text.push(...comments([`used but not allowed (see the warning above): ${sys.withheld.map((e) => `${e.name} (${callsOf(e.calls)})`).join(', ')}`], '  '));
  }

  const fileNoun = { one: 'file', many: 'files' };
  const fileCalls = (verb: string) => (e: Entry) => plural(e.calls, verb);
  text.push('files:');
  text.push(...blockList('read', 2, files.read.map((e) => item(e, scalar(e.value), entryComment(e, fileNoun, fileCalls('read'))))));
  text.push(...blockList('write', 2, files.write.map((e) => item(e, scalar(e.value), entryComment(e, fileNoun, fileCalls('call'))))));

  text.push('exec:');
  text.push(...blockList('allow', 2, exec.entries.map((e) => item(e, scalar(e.value), entryComment(e, { one: 'program', many: 'programs' }, (x) => plural(x.calls, 'start'))))));

  const addrNoun = { one: 'address', many: 'addresses' };
  text.push('network:');
  text.push(...blockList('connect', 2, connect.entries.map((e) => item(e, scalar(e.value), entryComment(e, addrNoun, (x) => callsOf(x.calls))))));
  text.push(...blockList('bind', 2, bind.entries.map((e) => item(e, scalar(e.value), entryComment(e, addrNoun, (x) => callsOf(x.calls))))));

  text.push('process:', `  fork: ${o.forks > 0 ? 'true' : 'false'}${o.forks > 0 ? `  # ${plural(o.forks, 'process', 'processes')} created` : '  # no process created'}`);
  return { yaml: text.join('\n') + '\n', warnings };
}
