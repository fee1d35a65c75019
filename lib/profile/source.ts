// A profile file as parsed YAML, with positions for every node so that any
// diagnostic — syntax, schema or semantic — points at file:line:col.
import { parseDocument, isAlias, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import type { Diagnostic, DiagnosticCode, SourceLoc, WarningCode } from './diagnostic.js';

export class Source {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  private readonly textLines: string[];
  /** Offsets where each line starts, counted from the text (the parser's counter misses newlines inside some error tokens). */
  private readonly lineStarts: number[];

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    // Integers as BigInt: syscall argument values are 64-bit.
    this.doc = parseDocument(text, { intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
    this.textLines = text.split(/\r?\n/);
    this.lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  /** An alias (*name) as the node its anchor (&name) names; any other node as it is. */
  deref<T>(node: T): T {
    return (isAlias(node) ? node.resolve(this.doc) : node) as T;
  }

  /** Position of a character offset. */
  locAt(offset: number, length = 1): SourceLoc {
    // The last line start at or before offset (binary search); col is 1-based, within the line.
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineText = this.textLines[lo] ?? '';
    const col = Math.min(Math.max(0, offset - this.lineStarts[lo]!), lineText.length) + 1;
    return { file: this.file, line: lo + 1, col, length };
  }

  /** Position of a node (or of a pair's key). */
  locOf(node: unknown): SourceLoc | undefined {
    const n = isPair(node) ? node.key : node;
    const range = (n as Node | null | undefined)?.range;
    if (!range) return undefined;
    const [start, valueEnd] = range;
    // A collection spans lines; underline its first token only.
    const length = isScalar(n) ? Math.max(1, valueEnd - start) : 1;
    return this.locAt(start, length);
  }

  diag(code: DiagnosticCode | WarningCode, message: string, at: unknown, severity: 'error' | 'warning' = 'error'): Diagnostic {
    const loc = typeof at === 'number' ? this.locAt(at) : this.locOf(at) ?? this.locAt(0);
    return { severity, code, message, loc, sourceLine: this.textLines[loc.line - 1] ?? '' };
  }
}

export { isMap, isSeq, isScalar, isPair };
