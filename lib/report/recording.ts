// Recordings: the profile YAML that `syscage record` writes (lib/record/profile-text.ts), taken as
// observed behaviour. Each entry of files.read / files.write / exec.allow / network.connect /
// network.bind is something the function did; its comment says how often ("# 3 reads",
// "# 1 start", "# shared libraries: 3 files, e.g. /lib/x/libc.so.6"), which is read back when
// present. Only what the file itself says is taken (its `extends` is not followed).
import { readFileSync, statSync } from 'node:fs';
import { parseProfile } from '../profile/parse.js';
import { formatDiagnostic } from '../profile/diagnostic.js';

export type ObservedKind = 'read' | 'write' | 'exec' | 'connect' | 'bind';

export interface Observed {
  readonly kind: ObservedKind;
  /** The entry as written (a path, a glob, an address). */
  readonly value: string;
  /** A concrete example when the entry stands for several (its comment's "e.g."). */
  readonly example?: string;
  /** How often, from the comment; 1 when it says nothing. */
  readonly count: number;
  readonly line: number;
}

/** Profiles are small (the loader refuses more than 1 MiB). */
const MAX_RECORDING = 1 << 20;

/** Does the start of a file say it is a profile? Its first line that is not blank or a comment is `version:`. */
export function looksLikeRecording(head: string): boolean {
  for (const l of head.split('\n')) {
    const t = l.trim();
    if (t === '' || t.startsWith('#') || t === '---') continue;
    return /^version\s*:/.test(t);
  }
  return false;
}

export interface ReadRecording {
  readonly entries: readonly Observed[];
  readonly name?: string;
  /** Why the file is not a usable profile: its first diagnostic. */
  readonly error?: string;
}

export function readRecording(file: string): ReadRecording {
  const st = statSync(file);
  if (st.size > MAX_RECORDING) return { entries: [], error: `${file}: a profile larger than ${MAX_RECORDING} bytes` };
  const text = readFileSync(file, 'utf8');
  const { profile, diagnostics } = parseProfile(file, text);
  const error = diagnostics.find((d) => d.severity === 'error');
  if (!profile || error) return { entries: [], error: error ? formatDiagnostic(error).split('\n', 1)[0] : `${file}: not a profile` };
  const lines = text.split('\n');
  const entries: Observed[] = [];
  const take = (kind: ObservedKind, list: readonly { value: string | { text: string }; loc?: { line: number } }[] | undefined) => {
    for (const e of list ?? []) {
      const value = typeof e.value === 'string' ? e.value : e.value.text;
      const line = e.loc?.line ?? 0;
      const src = lines[line - 1] ?? '';
      const hash = src.lastIndexOf(' # ');
      const comment = hash < 0 ? '' : src.slice(hash + 3);
      const n = /(\d+) (?:reads?|calls?|starts?|files?|programs?|addresses|address)\b/.exec(comment);
      const example = /e\.g\. (\S+)/.exec(comment)?.[1];
      entries.push({ kind, value, ...(example ? { example } : {}), count: n ? Number(n[1]) : 1, line });
    }
  };
  take('read', profile.files?.read);
  take('write', profile.files?.write);
  take('exec', profile.exec?.allow);
  take('connect', profile.network?.connect);
  take('bind', profile.network?.bind);
  return { entries, ...(profile.name ? { name: profile.name } : {}) };
}
