// Step 1 and 2 of generalising (lib/record/generalise.ts, whose header lists every rule): one
// observed path → the glob that also matches the next run's, with its per-run parts (ids, temp
// names, pids) replaced, and other processes' /proc entries made /proc/*.
import { sensitivePath } from './sensitive.js';

/** Which rule made a name differ from what was observed. */
export type NameRule = 'per-run name' | 'other process';

/** The temporary directories (default). */
export const TEMP_DIRS: readonly string[] = Object.freeze(['/tmp', '/var/tmp', '/dev/shm']);

const UUID = /(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z])/g;
const TRACE_ID = /(?<![0-9A-Za-z])1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}(?![0-9A-Za-z])/g;

const classOf = (c: string): number => (c >= '0' && c <= '9' ? 0 : c >= 'a' && c <= 'z' ? 1 : 2);

/** How often consecutive characters change class (digit, lower, upper). */
function transitions(tok: string): number {
  let n = 0;
  for (let i = 1; i < tok.length; i++) if (classOf(tok[i]!) !== classOf(tok[i - 1]!)) n++;
  return n;
}

const hasDigit = (s: string): boolean => /\d/.test(s);
const hasLetter = (s: string): boolean => /[A-Za-z]/.test(s);

interface TokenAt {
  readonly tok: string;
  readonly prevSep: string;
  readonly nextSep: string;
  readonly prevTok?: string;
  readonly nextTok?: string;
  readonly last: boolean;
}

/** Is this run of letters and digits a per-run part of a name? */
function perRun(t: TokenAt, temp: boolean): boolean {
  const { tok } = t;
  if (/^[0-9a-fA-F]{16,}$/.test(tok) && hasDigit(tok) && hasLetter(tok)) return true;
  if (/^\d{10,}$/.test(tok)) return true;
  if (tok.length >= 12 && /\d.*\d/.test(tok) && hasLetter(tok) && transitions(tok) >= tok.length / 3) return true;
  if (!temp) return false;
  if (/^\d+$/.test(tok)) {
    // Not a part of a dotted version: python3.11, node-v20.11.0, libfoo.so.6.0.30.
    const version = (t.prevSep === '.' && /\d$/.test(t.prevTok ?? '')) || (t.nextSep === '.' && /^\d/.test(t.nextTok ?? ''));
    return tok.length >= 2 && !version;
  }
  // Short hex with digits and letters (77de, 3f2a): a random suffix far more often than a word.
  if (tok.length >= 4 && /^[0-9a-f]+$/.test(tok) && hasDigit(tok) && hasLetter(tok)) return true;
  const often = transitions(tok) >= Math.max(2, Math.ceil((tok.length - 1) / 2));
  // Letters and digits that keep alternating (3f2a, a8Zk2q), or both cases that do (aBcDeF).
  if (tok.length >= 4 && hasDigit(tok) && hasLetter(tok) && often) return true;
  if (tok.length >= 6 && !hasDigit(tok) && often) return true;
  // mkdtemp's six characters at the end of a name (upload-Ab3xYz, upload-abc123).
  const mixed = (hasDigit(tok) && hasLetter(tok)) || (/[a-z]/.test(tok) && /[A-Z]/.test(tok.slice(1)));
  return t.last && tok.length === 6 && t.prevSep !== '' && mixed;
}

/**
 * The temporary-name schemes of the runtimes users record, recognised by their shape: every name a
 * scheme can draw gives the same glob, so that the next run's names match. The random part
 * becomes one "?" per character where the scheme fixes its length, so the grant is no wider
 * than the names the scheme makes. A random part of digits only is left to the digit rule
 * ("*": Go's and Java's numbers vary in length). Undefined: not a scheme's name.
 *
 *   CPython's tempfile      "tmp" + 8 of [a-z0-9_] (mkdtemp, mkstemp, NamedTemporaryFile), or a
 *                           prefix ending in - or . + 8, then the suffix if any (".json");
 *                           directly in a temporary directory, 8 alone: the directory probe
 *                           of tempfile.gettempdir()
 *   Node's mkdtemp, glibc's mkstemp/mkdtemp
 *                           a prefix ending in -, _ or . + 6 of [A-Za-z0-9]
 *   mktemp(1)               tmp. + 6 or more of [A-Za-z0-9] (default: 10; also outside
 *                           temporary directories), or a prefix ending in . + 6 or more
 */
function tempScheme(seg: string, direct: boolean): string | undefined {
  const random = (prefix: string, part: string): string | undefined => (/^\d+$/.test(part) ? undefined : prefix + '?'.repeat(part.length));
  const python = /^(tmp|.*[-.]|)([a-z0-9_]{8})((?:\.[A-Za-z0-9]+)*)$/.exec(seg);
  if (python && (python[1] !== '' ? true : direct && python[3] === '')) {
    const glob = random(python[1]!, python[2]!);
    return glob === undefined ? undefined : glob + python[3];
  }
  const six = /^(.*[-_.])([A-Za-z0-9]{6})$/.exec(seg);
  if (six) return random(six[1]!, six[2]!);
  const mktemp = /^(.*\.)([A-Za-z0-9]{6,})$/.exec(seg);
  if (mktemp) return random(mktemp[1]!, mktemp[2]!);
  return undefined;
}

/** One segment with its per-run parts replaced by "*" (or "?"s: tempScheme). `direct`: its parent is a temporary directory. */
export function globSegment(seg: string, temp: boolean, direct = false): string {
  if (/^tmp\.[A-Za-z0-9]{6,}$/.test(seg) && !/^tmp\.\d+$/.test(seg)) return 'tmp.' + '?'.repeat(seg.length - 4);
  const scheme = temp ? tempScheme(seg, direct) : undefined;
  if (scheme !== undefined) return scheme;
  const s = seg.replace(UUID, '*').replace(TRACE_ID, '*');
  const parts = s.split(/([0-9A-Za-z]+)/);
  // parts: sep, tok, sep, tok, ..., sep (tokens at odd indices).
  const out = parts.map((p, i) => {
    if (i % 2 === 0) return p;
    const at: TokenAt = {
      tok: p,
      prevSep: parts[i - 1] ?? '',
      nextSep: parts[i + 1] ?? '',
      prevTok: parts[i - 2],
      nextTok: parts[i + 2],
      last: i === parts.length - 2,
    };
    if (perRun(at, temp)) return '*';
    // A long number after letters (Go's os.MkdirTemp("", "app"), Java's createTempFile): its length
    // varies. Eight digits or more (Go draws fewer 1 time in 430): secret2024 stays as it is.
    const numbered = temp ? /^([A-Za-z]+)\d{8,}$/.exec(p) : null;
    return numbered ? numbered[1] + '*' : p;
  });
  return out.join('').replace(/\*{2,}/g, '*');
}

/** What may not appear in a v1 glob, replaced by "?" (one character): the glob still matches the name. */
export const literal = (seg: string): string => seg.replace(/[[\]{}\\]/g, '?').replace(/\*{2,}/g, '*');

/** Other processes' /proc/N entries that are harmless to read whoever N is (what ps and top read). */
const PROC_SAFE = new Set([
  '', '/stat', '/status', '/statm', '/cmdline', '/comm', '/cgroup', '/sched', '/schedstat', '/limits', '/loginuid',
  '/sessionid', '/oom_score', '/oom_score_adj', '/io', '/wchan', '/mountinfo', '/mounts', '/ns', '/task',
  '/task/*', '/task/*/stat', '/task/*/status', '/task/*/comm', '/task/*/sched', '/task/*/schedstat',
]);

export interface Named {
  readonly glob: string;
  readonly rule?: NameRule;
  /** Why it stayed exact although it will not match again. */
  readonly note?: string;
}

export const isTemp = (path: string, temps: readonly string[]): boolean => temps.some((t) => path.startsWith(t + '/'));

/** A path → the glob for it (per-run names, other processes' /proc). The path must be absolute and normalised. */
export function nameGlob(path: string, opts: { readonly tempDirs?: readonly string[] } = {}): Named {
  const temps = opts.tempDirs ?? TEMP_DIRS;
  const segs = path.slice(1).split('/');
  if (path === '/') return { glob: '/' };
  let out: string[];
  let rule: NameRule | undefined;
  const other = /^\/proc\/(\d+)(\/.*)?$/.exec(path);
  if (other) {
    const rest = (other[2] ?? '').replace(/^\/task\/\d+/, '/task/*');
    if (other[1] === '1') return { glob: literalPath(path) };
    if (!PROC_SAFE.has(rest) && !/^\/ns\/[a-z_]+$/.test(rest)) {
      return { glob: literalPath(path), note: sensitivePath(path) ? undefined : "another process's /proc entry stays exact: its pid changes every run, so this entry will not match again" };
    }
    return { glob: '/proc/*' + rest, rule: 'other process' };
  }
  if (path.startsWith('/proc/self/')) {
    out = segs.map((s, i) => (i >= 2 && /^\d+$/.test(s) ? '*' : literal(s)));
  } else if (/^\/dev\/pts\/\d+$/.test(path)) {
    out = ['dev', 'pts', '*'];
  } else {
    const temp = isTemp(path, temps);
    const parent = (i: number) => '/' + segs.slice(0, i).join('/');
    out = segs.map((s, i) => (i === 0 ? literal(s) : globSegment(literal(s), temp, temps.includes(parent(i)))));
  }
  const glob = '/' + out.join('/');
  if (glob !== literalPath(path)) rule = 'per-run name';
  return { glob, rule };
}

const literalPath = (path: string): string => (path === '/' ? '/' : '/' + path.slice(1).split('/').map(literal).join('/'));

