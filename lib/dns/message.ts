// The DNS wire codec (RFC 1035 section 4, RFC 3596 for AAAA): parse the query a program sends,
// parse the reply the real resolver gives, and build replies. Pure functions over Buffers, no
// I/O. Input is hostile: a parser never throws and never loops, it returns { bad: reason }.
// Compression pointers must point strictly before the start of the name (or name piece) they
// occur in, so every jump goes backwards and a chain of them ends; the jumps are also counted.
// Names are rendered as text the way rules see them: labels joined by dots, ASCII lower-cased,
// any byte other than [A-Za-z0-9_-] written as \DDD (so a label holding a dot cannot fake one).
// The builders (buildQuery, buildResponse, errorReply) take trusted input and may throw on it.

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, HTTPS: 65, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface Question { readonly name: string; readonly type: number; readonly class: number }
/** A parsed query: name lower-cased, without the final dot ("" for the root). */
export interface Query { readonly id: number; readonly flags: number; readonly question: Question; readonly raw: Buffer }
/**
 * One record of the answer section (class IN only; records of other classes are left out).
 * data: A → dotted quad, AAAA → RFC 5952 text (lower-case, "::" compression, IPv4-mapped as
 * ::ffff:a.b.c.d), CNAME → target name lower-cased without final dot; other types → ''.
 * ttl: seconds; a TTL with its top bit set counts as 0 (RFC 2181 section 8).
 */
export interface Answer { readonly name: string; readonly type: number; readonly ttl: number; readonly data: string }
export interface Response { readonly id: number; readonly rcode: number; readonly truncated: boolean; readonly question?: Question; readonly answers: readonly Answer[] }
export interface Bad { readonly bad: string }

export const CLASS_IN = 1;
/** Header flag bits. */
export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080 } as const;
export const HEADER_LENGTH = 12;
const MAX_NAME = 255; // wire bytes, length octets and the final zero included
const MAX_LABEL = 63;
const MAX_JUMPS = 32;
const MAX_CHAIN = 16;

export function isBad(x: unknown): x is Bad {
  return typeof x === 'object' && x !== null && 'bad' in x;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Header { readonly id: number; readonly flags: number; readonly qd: number; readonly an: number }

function readHeader(msg: Buffer): Header | Bad {
  if (msg.length < HEADER_LENGTH) return { bad: `${msg.length} bytes is shorter than a DNS header` };
  return { id: msg.readUInt16BE(0), flags: msg.readUInt16BE(2), qd: msg.readUInt16BE(4), an: msg.readUInt16BE(6) };
}

const opcodeOf = (flags: number): number => (flags >> 11) & 0xf;

/** A label's bytes as text: [A-Za-z0-9_-] kept (ASCII lower-cased), anything else as \DDD. */
function renderLabel(msg: Buffer, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length; i++) {
    const b = msg[i]!;
    const plain = (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f;
    if (plain) s += String.fromCharCode(b);
    else if (b >= 0x41 && b <= 0x5a) s += String.fromCharCode(b + 0x20);
    else s += `\\${String(b).padStart(3, '0')}`;
  }
  return s;
}

interface NameRead { readonly name: string; /** Offset just after the name where it was met. */ readonly end: number }

/** The name at `start`, following compression pointers (backwards only, at most MAX_JUMPS). */
export function readName(msg: Buffer, start: number): NameRead | Bad {
  const labels: string[] = [];
  let pos = start;
  let floor = start; // a pointer must point below where the current piece began
  let end = -1;
  let jumps = 0;
  let wire = 1;
  for (;;) {
    if (pos >= msg.length) return { bad: `the name at offset ${start} runs past the end of the message` };
    const len = msg[pos]!;
    if (len === 0) return { name: labels.join('.'), end: end < 0 ? pos + 1 : end };
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return { bad: `a compression pointer at offset ${pos} is cut off` };
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (target < HEADER_LENGTH) return { bad: `a compression pointer at offset ${pos} points into the header` };
      if (target >= floor) return { bad: `a compression pointer at offset ${pos} does not point backwards (to ${target})` };
      if (++jumps > MAX_JUMPS) return { bad: `the name at offset ${start} has more than ${MAX_JUMPS} compression pointers` };
      if (end < 0) end = pos + 2;
      pos = floor = target;
      continue;
    }
    if (kind !== 0) return { bad: `unknown label type 0x${kind.toString(16)} at offset ${pos}` };
    if (pos + 1 + len > msg.length) return { bad: `a label at offset ${pos} runs past the end of the message` };
    wire += len + 1;
    if (wire > MAX_NAME) return { bad: `the name at offset ${start} is longer than ${MAX_NAME} bytes` };
    labels.push(renderLabel(msg, pos + 1, len));
    pos += 1 + len;
  }
}

function readQuestion(msg: Buffer, start: number): { readonly question: Question; readonly end: number } | Bad {
  const n = readName(msg, start);
  if (isBad(n)) return n;
  if (n.end + 4 > msg.length) return { bad: 'the question is cut off after its name' };
  return { question: { name: n.name, type: msg.readUInt16BE(n.end), class: msg.readUInt16BE(n.end + 2) }, end: n.end + 4 };
}

/** Parse a query: exactly one question, QR clear, opcode QUERY. Other sections are not read. */
export function parseQuery(msg: Buffer): Query | Bad {
  const h = readHeader(msg);
  if (isBad(h)) return h;
  if (h.flags & FLAG.QR) return { bad: 'a response (QR set), not a query' };
  if (opcodeOf(h.flags) !== 0) return { bad: `opcode ${opcodeOf(h.flags)} is not QUERY` };
  if (h.qd !== 1) return { bad: `${h.qd} questions (exactly one expected)` };
  const q = readQuestion(msg, HEADER_LENGTH);
  if (isBad(q)) return q;
  return { id: h.id, flags: h.flags, question: q.question, raw: msg };
}

const formatIPv4 = (msg: Buffer, at: number): string => `${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}`;

/** RFC 5952 text of the 16 bytes at `at`: lower case, the longest run (first if tied) of two or more zero groups as "::". */
export function formatIPv6(msg: Buffer, at = 0): string {
  const groups = Array.from({ length: 8 }, (_, i) => msg.readUInt16BE(at + 2 * i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatIPv4(msg, at + 12)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

interface RR { readonly name: string; readonly type: number; readonly class: number; readonly ttl: number; readonly rdata: number; readonly rdlength: number; readonly end: number }

function readRecord(msg: Buffer, start: number): RR | Bad {
  const n = readName(msg, start);
  if (isBad(n)) return n;
  if (n.end + 10 > msg.length) return { bad: `the record at offset ${start} is cut off after its name` };
  const rdlength = msg.readUInt16BE(n.end + 8);
  const rdata = n.end + 10;
  if (rdata + rdlength > msg.length) return { bad: `the data of the record at offset ${start} runs past the end of the message` };
  const ttl = msg.readUInt32BE(n.end + 4);
  return { name: n.name, type: msg.readUInt16BE(n.end), class: msg.readUInt16BE(n.end + 2), ttl: ttl > 0x7fffffff ? 0 : ttl, rdata, rdlength, end: rdata + rdlength };
}

/** The text of a record's data (A, AAAA, CNAME; '' for other types). */
function recordData(msg: Buffer, r: RR): string | Bad {
  const size = (want: number): Bad | undefined => (r.rdlength === want ? undefined : { bad: `a type ${r.type} record with ${r.rdlength} bytes of data (${want} expected)` });
  switch (r.type) {
    case TYPE.A: return size(4) ?? formatIPv4(msg, r.rdata);
    case TYPE.AAAA: return size(16) ?? formatIPv6(msg, r.rdata);
    case TYPE.CNAME: {
      const n = readName(msg.subarray(0, r.end), r.rdata);
      if (isBad(n)) return n;
      return n.end === r.end ? n.name : { bad: `a CNAME record's target does not fill its data (offset ${r.rdata})` };
    }
    default: return '';
  }
}

/** Parse a response (QR set): its question (if any) and the IN records of its answer section. */
export function parseResponse(msg: Buffer): Response | Bad {
  const h = readHeader(msg);
  if (isBad(h)) return h;
  if (!(h.flags & FLAG.QR)) return { bad: 'a query (QR clear), not a response' };
  if (h.qd > 1) return { bad: `${h.qd} questions (at most one expected)` };
  let pos = HEADER_LENGTH;
  let question: Question | undefined;
  if (h.qd === 1) {
    const q = readQuestion(msg, pos);
    if (isBad(q)) return q;
    [question, pos] = [q.question, q.end];
  }
  const answers: Answer[] = [];
  for (let i = 0; i < h.an; i++) {
    const r = readRecord(msg, pos);
    if (isBad(r)) return r;
    pos = r.end;
    if (r.class !== CLASS_IN) continue;
    const data = recordData(msg, r);
    if (isBad(data)) return data;
    answers.push({ name: r.name, type: r.type, ttl: r.ttl, data });
  }
  const truncated = (h.flags & FLAG.TC) !== 0;
  return question === undefined ? { id: h.id, rcode: h.flags & 0xf, truncated, answers } : { id: h.id, rcode: h.flags & 0xf, truncated, question, answers };
}

/**
 * The addresses an answer gives for the name asked, following CNAME chains inside the answer
 * section (at most 16 links), each with the smallest TTL along its chain; also the chain's names.
 * chain starts with the name asked (normalised) and ends with the name the addresses belong to.
 * A chain that loops or is longer than 16 links gives no addresses. Duplicates are merged
 * (keeping the smaller TTL).
 */
export function addressesFor(r: Response, name: string): { readonly addresses: readonly { readonly address: string; readonly family: 4 | 6; readonly ttl: number }[]; readonly chain: readonly string[] } {
  let current = normaliseName(name);
  const chain = [current];
  let ttl = Infinity;
  for (;;) {
    const cname = r.answers.find((a) => a.type === TYPE.CNAME && a.name === current && a.data !== '');
    if (cname === undefined) break;
    if (chain.includes(cname.data) || chain.length > MAX_CHAIN) return { addresses: [], chain };
    ttl = Math.min(ttl, cname.ttl);
    current = cname.data;
    chain.push(current);
  }
  const found = new Map<string, { address: string; family: 4 | 6; ttl: number }>();
  for (const a of r.answers) {
    if (a.name !== current || a.data === '' || (a.type !== TYPE.A && a.type !== TYPE.AAAA)) continue;
    const t = Math.min(ttl, a.ttl);
    const seen = found.get(a.data);
    if (seen === undefined) found.set(a.data, { address: a.data, family: a.type === TYPE.A ? 4 : 6, ttl: t });
    else seen.ttl = Math.min(seen.ttl, t);
  }
  return { addresses: [...found.values()], chain };
}

/** Normalise a host name the way rules see it: lower-case, final dot dropped. */
export function normaliseName(name: string): string {
  const lower = name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return endsWithDot(lower) ? lower.slice(0, -1) : lower;
}

/** Does the text end with a dot that is not escaped? (a\. ends with a label holding a dot.) */
function endsWithDot(text: string): boolean {
  const m = /(\\*)\.$/.exec(text);
  return m !== null && m[1]!.length % 2 === 0;
}

// ---------------------------------------------------------------------------------------------
// Building

/** A name's text (with \DDD and \X escapes, final dot optional) → its labels' bytes. Throws on a bad name. */
export function nameLabels(text: string): Buffer[] {
  const labels: number[][] = [];
  let cur: number[] = [];
  const s = endsWithDot(text) ? text.slice(0, -1) : text;
  if (s === '') return [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '.') {
      labels.push(cur);
      cur = [];
    } else if (c === '\\' && /^\d{3}$/.test(s.slice(i + 1, i + 4))) {
      cur.push(Number(s.slice(i + 1, i + 4)));
      i += 3;
    } else if (c === '\\' && i + 1 < s.length) {
      cur.push(s.charCodeAt(++i));
    } else cur.push(c.charCodeAt(0));
  }
  labels.push(cur);
  const bad = labels.find((l) => l.length === 0 || l.length > MAX_LABEL || l.some((b) => b > 255));
  if (bad !== undefined) throw new Error(`bad DNS name ${JSON.stringify(text)}: a label is empty, too long or not bytes`);
  if (labels.reduce((n, l) => n + l.length + 1, 1) > MAX_NAME) throw new Error(`bad DNS name ${JSON.stringify(text)}: longer than ${MAX_NAME} bytes`);
  return labels.map((l) => Buffer.from(l));
}

/** A label's bytes, ASCII lower-cased, as hex: names compare without regard to case. */
const lowerHex = (l: Buffer): string => Buffer.from(l.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b))).toString('hex');

/** Appends to a message, compressing names against those already written. */
class Writer {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private readonly suffixes = new Map<string, number>();

  bytes(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  u16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return this.bytes(b);
  }
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return this.bytes(b);
  }
  name(text: string, compress = true): this {
    const labels = nameLabels(text);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).map(lowerHex).join('.');
      const at = this.suffixes.get(key);
      if (compress && at !== undefined) return this.u16(0xc000 | at);
      if (this.length < 0x4000) this.suffixes.set(key, this.length);
      this.bytes(Buffer.concat([Buffer.from([labels[i]!.length]), labels[i]!]));
    }
    return this.bytes(Buffer.from([0]));
  }
  /** A 2-byte length, then what fill() writes; the length is set once that is known. */
  sized(fill: () => void): this {
    const slot = Buffer.alloc(2);
    this.bytes(slot);
    const before = this.length;
    fill();
    slot.writeUInt16BE(this.length - before);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function header(w: Writer, id: number, flags: number, counts: readonly [number, number, number, number]): Writer {
  w.u16(id).u16(flags);
  for (const c of counts) w.u16(c);
  return w;
}

/** Build a query (for tests and for the bench): id, name, type, RD set. The name's case is kept. */
export function buildQuery(id: number, name: string, type: number): Buffer {
  return header(new Writer(), id, FLAG.RD, [1, 0, 0, 0]).name(name, false).u16(type).u16(CLASS_IN).done();
}

/** The wire bytes of the question of a parsed query, if they still say what q.question says (they keep 0x20 case). */
function rawQuestion(q: Query): Buffer | undefined {
  const r = readQuestion(q.raw, HEADER_LENGTH);
  if (isBad(r)) return undefined;
  const same = r.question.name === q.question.name && r.question.type === q.question.type && r.question.class === q.question.class;
  return same ? q.raw.subarray(HEADER_LENGTH, r.end) : undefined;
}

/** A reply to `q` with this rcode and no answers: same id, RD copied, RA set, QR set, the question echoed (as sent, case kept). */
export function errorReply(q: Query, rcode: number): Buffer {
  const w = header(new Writer(), q.id, FLAG.QR | (q.flags & FLAG.RD) | FLAG.RA | (rcode & 0xf), [1, 0, 0, 0]);
  const raw = rawQuestion(q);
  return (raw === undefined ? w.name(q.question.name).u16(q.question.type).u16(q.question.class) : w.bytes(raw)).done();
}

function parseIPv4(text: string): Buffer {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`not an IPv4 address: ${text}`);
  return Buffer.from(parts.map(Number));
}

/** IPv6 text (one "::" at most, an IPv4 tail allowed) → 16 bytes. Throws on bad text. */
export function parseIPv6(text: string): Buffer {
  const fail = (): never => { throw new Error(`not an IPv6 address: ${text}`); };
  const groupsOf = (s: string): number[] => {
    if (s === '') return [];
    const parts = s.split(':');
    const tail = parts[parts.length - 1]!.includes('.') ? [...parseIPv4(parts.pop()!)] : undefined;
    const gs = parts.map((p) => (/^[0-9a-fA-F]{1,4}$/.test(p) ? parseInt(p, 16) : fail()));
    return tail === undefined ? gs : [...gs, (tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!];
  };
  const halves = text.split('::');
  if (halves.length > 2) fail();
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const zeros = 8 - head.length - rest.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) fail();
  const groups = [...head, ...Array<number>(zeros).fill(0), ...rest];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
  return b;
}

function writeAnswer(w: Writer, a: Answer): void {
  w.name(a.name).u16(a.type).u16(CLASS_IN).u32(a.ttl);
  if (a.type === TYPE.CNAME) {
    w.sized(() => w.name(a.data));
    return;
  }
  const data = a.type === TYPE.A ? parseIPv4(a.data) : a.type === TYPE.AAAA ? parseIPv6(a.data) : Buffer.from(a.data, 'latin1');
  w.u16(data.length).bytes(data);
}

/**
 * Build a response (for tests): records of type A/AAAA/CNAME given as Answer (data as text; any
 * other type's data is written as raw bytes, latin1). Names (owners and CNAME targets) are
 * compressed against those written before them, as servers do.
 */
export function buildResponse(id: number, question: Question, answers: readonly Answer[], opts: { rcode?: number; truncated?: boolean } = {}): Buffer {
  const flags = FLAG.QR | FLAG.RD | FLAG.RA | (opts.truncated ? FLAG.TC : 0) | ((opts.rcode ?? RCODE.NOERROR) & 0xf);
  const w = header(new Writer(), id, flags, [1, answers.length, 0, 0]).name(question.name).u16(question.type).u16(question.class);
  for (const a of answers) writeAnswer(w, a);
  return w.done();
}
