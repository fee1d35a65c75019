import { readFileSync } from 'node:fs';
import { EXIT, SyscageError } from '../errors.js';

// Diagnostics: every problem with a profile is reported as a coded, positioned
// message that points into the file the user wrote — never a stack trace.
//
//   profiles/app.yaml:12:7: error E_UNKNOWN_SYSCALL: unknown syscall "opne" (did you mean "open"?)
//      12 |   allow: [read, opne]
//         |                 ^^^^

export type DiagnosticCode =
  | 'E_READ'              // the file cannot be read
  | 'E_YAML_SYNTAX'       // not well-formed YAML
  | 'E_EMPTY'             // no document at all
  | 'E_NOT_MAPPING'       // the document is not a mapping
  | 'E_UNKNOWN_KEY'       // a key the schema does not know
  | 'E_REQUIRED'          // a required key is missing
  | 'E_TYPE'              // a value of the wrong type
  | 'E_VALUE'             // a value outside the allowed set or range
  | 'E_UNKNOWN_SYSCALL'   // a syscall name no supported arch has
  | 'E_SYSCALL_ARCH'      // a syscall the target arch lacks (compile time)
  | 'E_UNKNOWN_ERRNO'     // an errno name that does not exist
  | 'E_UNKNOWN_CONSTANT'  // a named argument value that does not exist
  | 'E_BAD_GLOB'          // a malformed path glob
  | 'E_BAD_ADDRESS'       // a malformed network address, CIDR or port
  | 'E_EXTENDS_CYCLE'     // extends leads back to a profile already in the chain
  | 'E_EXTENDS_MISSING'   // extends names a profile that does not exist
  | 'E_TOO_LARGE';        // the compiled program exceeds the kernel's limit

export type Severity = 'error' | 'warning';

/** A position in a profile file: 1-based line and column. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** How many characters the offending token spans on its line (for the carets). */
  readonly length?: number;
}

/** "FILE:LINE:COL": how a location is written everywhere (messages, events, the seatbelt's policy). */
export const locText = (loc: SourceLoc): string => `${loc.file}:${loc.line}:${loc.col}`;

/** locText() read back (the seatbelt's reports carry it as text); undefined when it is not one. */
export function locFromText(text: string | undefined): SourceLoc | undefined {
  const m = text === undefined ? null : /^(.+):(\d+):(\d+)$/.exec(text);
  return m ? { file: m[1]!, line: Number(m[2]), col: Number(m[3]) } : undefined;
}

export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode | WarningCode;
  readonly message: string;
  readonly loc?: SourceLoc;
  /** The text of the offending line, when known. */
  readonly sourceLine?: string;
}

export type WarningCode =
  | 'W_PARTIAL_FAMILY'    // allows open but not openat, etc.
  | 'W_BROAD_HOST';       // a host pattern that allows most of the internet ("*.com:443")

/** Thrown when a profile cannot be used. Carries every error found, not only the first. */
export class ProfileError extends SyscageError {
  declare readonly code: DiagnosticCode;
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0] ?? diagnostics[0];
    if (!first) throw new Error('internal: ProfileError without a diagnostic');
    super(formatDiagnostic(first), first.code, EXIT.invalid);
    this.name = 'ProfileError';
    this.diagnostics = diagnostics;
  }
}

/** `file:line:col: severity CODE: message`, then the source line and carets. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.loc ? `${locText(d.loc)}: ` : '';
  let out = `${where}${d.severity} ${d.code}: ${d.message}`;
  if (d.loc && d.sourceLine !== undefined) {
    const num = String(d.loc.line);
    const pad = ' '.repeat(num.length);
    const line = d.sourceLine.replace(/\t/g, ' ');
    const width = Math.max(1, Math.min(d.loc.length ?? 1, line.length - d.loc.col + 1));
    out += `\n ${num} | ${line}\n ${pad} | ${' '.repeat(d.loc.col - 1)}${'^'.repeat(width)}`;
  }
  return out;
}

/** The text of a diagnostic's line, read back from its file (for diagnostics made after parsing). */
export function sourceLineOf(loc: SourceLoc, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): string | undefined {
  try {
    return read(loc.file).split(/\r?\n/)[loc.line - 1];
  } catch {
    return undefined;
  }
}

/** Fill in sourceLine where a diagnostic has a position but no text. */
export function withSourceLine(d: Diagnostic): Diagnostic {
  return d.loc && d.sourceLine === undefined ? { ...d, sourceLine: sourceLineOf(d.loc) } : d;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment), for
 * "did you mean" suggestions: "opne" is one edit from "open", not two.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a distance that scales with the word, or undefined. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDist = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    // The distance is at least the difference in length: skip what cannot be within the limit
    // (a 16 KB unknown name against 400 syscall names took a second).
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDist || (d === bestDist && best !== undefined && c < best)) {
      best = c;
      bestDist = d;
    }
  }
  return bestDist <= limit ? best : undefined;
}

export const didYouMean = (s: string | undefined): string => (s ? ` (did you mean "${s}"?)` : '');
