// Writing profile YAML by hand: block lists with a comment per entry, which
// the yaml package's Document API lays out less readably. Everything written
// here is read back by loadProfile in the tests.
import { parse } from 'yaml';

/** A scalar as YAML: plain when that reads back as the same string, else double-quoted. */
export function scalar(s: string): string {
  if (/^[A-Za-z0-9_/.][A-Za-z0-9_/.+*?=~,@%-]*$/.test(s)) {
    try {
      if (parse(s) === s) return s;
    } catch {
      // fall through to quoting
    }
  }
  return quoted(s);
}

/** A double-quoted YAML scalar (JSON escapes are YAML escapes; YAML also wants DEL and C1 escaped). */
export function quoted(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text that is safe inside a one-line comment: control characters shown as escapes. */
export function commentText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const j = JSON.stringify(c);
    return j.slice(1, -1);
  });
}

/** A comment block: each line prefixed with "# " (an empty line: "#"). */
export const comments = (lines: readonly string[], indent = ''): string[] =>
  lines.map((l) => (l === '' ? `${indent}#` : `${indent}# ${commentText(l)}`));

export interface Item {
  readonly text: string;
  readonly comment?: string;
  /** Lines written as "# WARNING: ..." just above the entry. */
  readonly warnings?: readonly string[];
}

const MAX_ALIGN = 56;

/**
 * `key:` and a block list under it, one entry per line with its comment
 * aligned, or `key: []` when there is nothing. `indent` is the key's.
 */
export function blockList(key: string, indent: number, items: readonly Item[]): string[] {
  const pad = ' '.repeat(indent);
  if (items.length === 0) return [`${pad}${key}: []`];
  const lines = [`${pad}${key}:`];
  const entryPad = ' '.repeat(indent + 2);
  const width = Math.min(MAX_ALIGN, Math.max(...items.map((i) => i.text.length + 2)));
  for (const it of items) {
    for (const w of it.warnings ?? []) lines.push(`${entryPad}# WARNING: ${commentText(w)}`);
    const entry = `- ${it.text}`;
    lines.push(it.comment ? `${entryPad}${entry.padEnd(width)}  # ${commentText(it.comment)}` : `${entryPad}${entry}`);
  }
  return lines;
}

/** A command line as a shell would take it (for the header). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
