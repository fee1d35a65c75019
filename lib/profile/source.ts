// A profile file as parsed YAML, with positions for every node so that any
// diagnostic — syntax, schema or semantic — points at file:line:col.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import type { Diagnostic, DiagnosticCode, SourceLoc } from './diagnostic.js';

export class Source {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;
  private readonly textLines: string[];

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.lines = new LineCounter();
    // Integers as BigInt: syscall argument values are 64-bit.
    this.doc = parseDocument(text, { lineCounter: this.lines, intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
    this.textLines = text.split(/\r?\n/);
  }

  /** Position of a character offset. */
  locAt(offset: number, length = 1): SourceLoc {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col, length };
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

  diag(code: DiagnosticCode, message: string, at: unknown, severity: 'error' | 'warning' = 'error'): Diagnostic {
    const loc = typeof at === 'number' ? this.locAt(at) : this.locOf(at) ?? this.locAt(0);
    return { severity, code, message, loc, sourceLine: this.textLines[loc.line - 1] ?? '' };
  }
}

export { isMap, isSeq, isScalar, isPair };
