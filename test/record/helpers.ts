// Shared by the record tests: load a profile text without touching the disk,
// and ask whether a loaded profile allows everything an Observation saw —
// with the supervisor's own matchers (lib/trace/decide/matchers.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { parseAddress } from '../../lib/profile/address.js';
import { loadProfile, type Loaded } from '../../lib/profile/index.js';
import type { Observation } from '../../lib/trace/observation.js';
import { compileMatchers, type AddressQuery } from '../../lib/trace/decide/matchers.js';

export const FIXTURES = join(packageRoot(), 'test', 'fixtures', 'record');

export const fixtureObservation = (name = 'node-run.json'): Observation =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Observation;

export const VIRTUAL = '/virtual/recorded.yaml';

/** loadProfile on a text, as if it were VIRTUAL; other files (bases, built-ins) come from `files` or the disk. */
export function loadText(yaml: string, files: Record<string, string> = {}, at = VIRTUAL): Loaded {
  return loadProfile(at, { readFile: (p) => (p === at ? yaml : files[p] ?? readFileSync(p, 'utf8')) });
}

/** A destination as recorded → what the address rules are asked. */
export function destination(text: string): AddressQuery {
  // The tracer writes a NUL of an abstract name as "\0".
  if (text.startsWith('unix:@')) return { kind: 'unix', abstract: true, path: text.slice(6).replace(/\\0/g, '\0') };
  if (text.startsWith('unix:')) return { kind: 'unix', abstract: false, path: text.slice(5) };
  const r = parseAddress(text);
  if ('message' in r || r.kind !== 'ip' || r.family === 'any') throw new Error(`test: not one destination: ${text}`);
  return { kind: 'ip', family: r.family, addr: r.lo, port: r.portLo };
}

/** Everything the observation saw that the profile would refuse, as "kind what" lines (empty: all allowed). */
export function refusals(loaded: Loaded, obs: Observation): string[] {
  const m = compileMatchers(loaded.profile);
  const out: string[] = [];
  for (const [p, n] of Object.entries(obs.files)) {
    if (!m.files) out.push(`files section missing: ${p}`);
    else if (m.files.deny.test(p)) out.push(`denied ${p}`);
    else if (n.write > 0 && !m.files.write.test(p)) out.push(`write ${p}`);
    else if (n.read > 0 && !m.files.readable.test(p)) out.push(`read ${p}`);
  }
  for (const p of Object.keys(obs.exec)) if (!m.exec?.allow.test(p)) out.push(`exec ${p}`);
  for (const t of Object.keys(obs.connect)) if (!m.network?.connect.which(destination(t))) out.push(`connect ${t}`);
  for (const t of Object.keys(obs.bind)) {
    const ok = t === 'unix:' ? m.network?.bind.anyAbstract() : m.network?.bind.which(destination(t));
    if (!ok) out.push(`bind ${t}`);
  }
  return out;
}

export function observation(partial: Partial<Observation> & { paths?: Record<string, 'r' | 'w' | 'rw'> } = {}): Observation {
  const files: Observation['files'] = { ...(partial.files ?? {}) };
  for (const [p, a] of Object.entries(partial.paths ?? {})) files[p] = { read: a.includes('r') ? 1 : 0, write: a.includes('w') ? 1 : 0 };
  return {
    arch: partial.arch ?? 'x86_64',
    syscalls: partial.syscalls ?? { read: 1 },
    files,
    exec: partial.exec ?? {},
    connect: partial.connect ?? {},
    bind: partial.bind ?? {},
    forks: partial.forks ?? 0,
    threads: partial.threads ?? 0,
  };
}
