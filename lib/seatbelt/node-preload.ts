// The Node.js seatbelt: loaded with --import before the handler's code, it
// refuses what the profile does not allow *before* the act (the runtime tier's
// monitor only sees acts after the fact). The policy arrives compiled
// (types.ts) in SYSCAGE_SEATBELT_POLICY; each refusal is written as one JSON
// line to the descriptor in SYSCAGE_SEATBELT_FD and thrown in the handler as
// an Error with code ERR_SYSCAGE_REFUSED.
//
// It patches the built-in modules' export objects in place (node:fs,
// fs.promises, node:net, node:dgram, node:child_process, node:worker_threads,
// process.dlopen/binding/execve), then calls module.syncBuiltinESMExports() so
// that ESM named imports see the wrappers too. Below the public functions it
// also wraps the handle classes (TCP, Pipe, UDP, Process) that user code can
// reach through socket._handle: a call that gets there without having been
// checked is refused with UV_EACCES.
//
// When network.connect holds 'host' entries it also patches node:dns (lookup, the resolve
// functions, both Resolver classes and the c-ares channel under them): every lookup of a name,
// including those net, tls, http, fetch and dgram make for a connect or a send, is checked before
// anything is sent, and a refused one fails as ENOTFOUND. The addresses an allowed name's lookup
// returns are bound to it for its entries' ports (see "names" below).
//
// It shares one heap with the code it guards, so it is guard rails, not a
// sandbox (docs/security.md). What it does against tampering: every intrinsic
// it uses is taken at load (before user code runs) and called through
// Reflect.apply; no spread, destructuring of arrays or for-of over arrays at
// run time (they go through Array.prototype[Symbol.iterator]); no
// String.prototype.split (String.prototype[Symbol.split]); regular
// expressions run through the RegExp.prototype.exec taken at load; reports are
// null-prototype objects (no inherited toJSON); policy state is frozen and
// lives in this module's closure. Option objects whose fields decide the check
// (open flags, cp/rm recursion, spawn cwd/env/shell, connect host/port/path)
// are copied once and the copy is what the original function receives, so a
// getter cannot answer one thing to the check and another to Node; path
// arguments are handed on as the absolute path string that was checked.
//
// node:fs functions, by how they are treated (Node 26.12 Object.keys(fs)):
//   checked (callback, *Sync, and fs.promises where they exist):
//     read:  readFile (write if its flag writes), readdir, opendir, openAsBlob(Sync), watch, watchFile,
//            glob/globSync (the pattern's literal base directory), copyFile/cp source
//     write: writeFile, appendFile, truncate, chmod, chown, lchmod, lchown, utimes, lutimes, mkdir
//            (and each directory -p creates), mkdtemp, mkdtempDisposable(Sync), rename (both),
//            unlink, rm, rmdir (recursive: every entry of the tree), symlink (the link path),
//            link (both names: a hard link is a new name for the same file), copyFile/cp destination
//            (recursive cp: every entry of the tree, both sides), createWriteStream
//     by flags: open, createReadStream (its flags option)
//   covered through fs.open/openSync: ReadStream, WriteStream, FileReadStream, FileWriteStream,
//     Utf8Stream (their constructors open through the exported fs functions)
//   left out, on purpose:
//     looking, not use (the kernel tier answers ENOENT; here they pass): access, exists, stat, lstat,
//       statfs, readlink, realpath (and realpath.native)
//     descriptor-based (the open was checked): close, read, readv, write, writev, fstat, fsync,
//       fdatasync, ftruncate, futimes, fchmod, fchown, and every FileHandle method
//     no path: unwatchFile, Dir, Dirent, Stats, constants, _toUnixTimestamp
import nodeModule from 'node:module';
import type * as FsModule from 'node:fs';
import type * as NetModule from 'node:net';
import type * as DgramModule from 'node:dgram';
import type * as UrlModule from 'node:url';
import type { SeatbeltPolicy } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
type Fn = (...args: Any[]) => Any;

// The built-ins, taken as CommonJS export objects: an ESM import would make their ESM facades now
// (and module.syncBuiltinESMExports would have to rewrite them, ~1.5 ms); made later, after the
// patching, the facades see the wrappers.
const builtin: (id: string) => Any = (process as Any).getBuiltinModule ?? nodeModule.createRequire(import.meta.url);
const fs: typeof FsModule = builtin('node:fs');
const net: typeof NetModule = builtin('node:net');
const dgram: typeof DgramModule = builtin('node:dgram');
const nodeUrl: typeof UrlModule = builtin('node:url');
const childProcess: Any = builtin('node:child_process');
const workerThreads: Any = builtin('node:worker_threads');

// ---- constants (types.ts: only types may be imported, so the values are repeated here) ----
const POLICY_ENV = 'SYSCAGE_SEATBELT_POLICY';
const CHANNEL_ENV = 'SYSCAGE_SEATBELT_FD';
const REFUSED_CODE = 'ERR_SYSCAGE_REFUSED';
const UV_EACCES = -13;
const SEATBELT_RULE_WHAT = 'seatbelts';

// ---- intrinsics, taken before any user code runs ----
const R = Reflect;
const rApply = R.apply;
const rConstruct = R.construct;
const rDefine = R.defineProperty;
const rGetOwnDesc = R.getOwnPropertyDescriptor;
const rGetProto = R.getPrototypeOf;
const rSetProto = R.setPrototypeOf;
const rOwnKeys = R.ownKeys;
const uncurry = (f: Fn) => (self: unknown, ...args: unknown[]): Any => rApply(f, self, args);
const ObjectCreate = Object.create;
const ObjectFreeze = Object.freeze;
const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
const ArrayIsArray = Array.isArray;
const StrSlice = uncurry(String.prototype.slice);
const StrIndexOf = uncurry(String.prototype.indexOf);
const StrLastIndexOf = uncurry(String.prototype.lastIndexOf);
const StrCharCodeAt = uncurry(String.prototype.charCodeAt);
const StrEndsWith = uncurry(String.prototype.endsWith);
const StrToLowerCase = uncurry(String.prototype.toLowerCase);
const RegExpExec = uncurry(RegExp.prototype.exec);
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const BigIntCtor = BigInt;
const NumberCtor = Number;
const StringCtor = String;
const NumberIsInteger = Number.isInteger;
const ErrorCtor = Error;
const ProxyCtor = Proxy;
const PromiseCtor = Promise;
const PromiseReject = uncurry(Promise.reject);
const PromiseThen = uncurry(Promise.prototype.then);
const MapCtor = Map;
const MapGet = uncurry(Map.prototype.get);
const MapSet = uncurry(Map.prototype.set);
const MapDelete = uncurry(Map.prototype.delete);
const MapForEach = uncurry(Map.prototype.forEach);
const MapSize = uncurry(rGetOwnDesc(Map.prototype, 'size')!.get!);
const DateNow = Date.now;
const SetCtor = Set;
const SetHas = uncurry(Set.prototype.has);
const SetAdd = uncurry(Set.prototype.add);
const SetSize = uncurry(rGetOwnDesc(Set.prototype, 'size')!.get!);
const WeakSetCtor = WeakSet;
const WeakSetHas = uncurry(WeakSet.prototype.has);
const WeakSetAdd = uncurry(WeakSet.prototype.add);
const TypedArrayTag = uncurry(rGetOwnDesc(rGetProto(Uint8Array.prototype) as object, Symbol.toStringTag)!.get!);
const utf8Decode = uncurry(TextDecoder.prototype.decode);
const decoder = new TextDecoder('utf-8');
const processCwd = process.cwd;
const cwd = (): string => rApply(processCwd, process, []);
const pid = process.pid;
const processNextTick = process.nextTick;
/** process.nextTick(f, arg), as it was at load. */
const nextTick = (f: Fn, arg: unknown): void => { rApply(processNextTick, process, [f, arg]); };

const fsWriteSync: Fn = fs.writeSync;
const fsFstatSync: Fn = fs.fstatSync;
const fsRealpathNative: Fn = fs.realpathSync.native;
const fsLstatSync: Fn = fs.lstatSync;
const fsStatSync: Fn = fs.statSync;
const fsReaddirSync: Fn = fs.readdirSync;
const fsReadlinkSync: Fn = fs.readlinkSync;
const fsAccessSync: Fn = fs.accessSync;
const fileURLToPath = nodeUrl.fileURLToPath;
const isIP = net.isIP;
const normalizeArgs: Fn | undefined = (net as Any)._normalizeArgs;
const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, X_OK } = fs.constants;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const NO_ENTRY = ObjectFreeze({ __proto__: null, throwIfNoEntry: false, bigint: false });
const preloadURL = import.meta.url;
const preloadPath = fileURLToPath(preloadURL);

// ---- fail closed at load ----
function fail(message: string): never {
  try {
    rApply(fsWriteSync, fs, [2, `syscage: seatbelt: ${message}\n`]);
  } catch { /* nothing to say it with */ }
  process.exit(70);
}

// ---- the policy ----
interface Rule { readonly what: string; readonly text?: string; readonly loc?: string }
interface GlobEntry { readonly re: RegExp; readonly rule: Rule }
interface GlobList { readonly any: RegExp; readonly entries: readonly GlobEntry[]; readonly missing: Rule }
/** A host-name entry of network.connect: `re` matches the name lower-cased, without a final dot. */
interface HostEntry { readonly kind: 'host'; readonly re: RegExp; readonly portLo: number; readonly portHi: number; readonly rule: Rule }
type AddrEntry =
  | { readonly kind: 'ip'; readonly family: 0 | 4 | 6; readonly lo: bigint; readonly hi: bigint; readonly portLo: number; readonly portHi: number; readonly rule: Rule }
  | HostEntry
  | { readonly kind: 'unix'; readonly abstract: boolean; readonly re: RegExp; readonly rule: Rule };
interface AddrList { readonly entries: readonly AddrEntry[]; readonly missing: Rule }
interface Dest { readonly family: 4 | 6; readonly value: bigint; readonly port: number }
interface Compiled {
  readonly enforce: boolean;
  readonly files?: { readonly read: GlobList; readonly write: GlobList; readonly deny: GlobList };
  readonly exec?: { readonly allow: GlobList };
  readonly fork: { readonly allowed: boolean; readonly rule: Rule };
  /** `hosts`: the 'host' entries of connect (none: names are not governed). */
  readonly network?: { readonly connect: AddrList; readonly bind: AddrList; readonly hosts: readonly HostEntry[] };
  readonly always: readonly Dest[];
  readonly native: GlobList;
}

/** arr[i] = v without [[Set]] (an Array.prototype setter at that index is not called). */
const put = (arr: object, i: number | string, v: unknown): void => { rDefine(arr, i, { value: v, enumerable: true, writable: true, configurable: true }); };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !ArrayIsArray(v);

function compileRule(v: unknown, at: string): Rule {
  if (!isObj(v) || typeof v.what !== 'string') fail(`policy: ${at} is not a rule ({what, text?, loc?})`);
  if (v.text !== undefined && typeof v.text !== 'string') fail(`policy: ${at}.text is not a string`);
  if (v.loc !== undefined && typeof v.loc !== 'string') fail(`policy: ${at}.loc is not a string`);
  const r: Any = { __proto__: null, what: v.what };
  if (v.text !== undefined) r.text = v.text;
  if (v.loc !== undefined) r.loc = v.loc;
  return ObjectFreeze(r) as Rule;
}

function compileRegExp(source: unknown, at: string): RegExp {
  if (typeof source !== 'string') fail(`policy: ${at} is not a string`);
  try {
    return new RegExp(source, 's');
  } catch (e) {
    return fail(`policy: ${at} is not a regular expression: ${(e as Error).message}`);
  }
}

function compileGlobs(v: unknown, at: string): GlobList {
  if (!isObj(v) || !ArrayIsArray(v.entries)) fail(`policy: ${at} is not a glob list ({entries, missing})`);
  const list = v.entries as unknown[];
  const entries: GlobEntry[] = [];
  let alternatives = '';
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (!isObj(e)) fail(`policy: ${at}.entries[${i}] is not an object`);
    const re = compileRegExp(e.re, `${at}.entries[${i}].re`);
    entries[i] = ObjectFreeze({ __proto__: null, re, rule: compileRule(e, `${at}.entries[${i}]`) }) as GlobEntry;
    alternatives += (i ? '|' : '') + `(?:${e.re as string})`;
  }
  const any = list.length ? compileRegExp(alternatives, `${at} (all entries)`) : /(?!)/s;
  return ObjectFreeze({ __proto__: null, any, entries: ObjectFreeze(entries), missing: compileRule(v.missing, `${at}.missing`) }) as GlobList;
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
function compileAddresses(v: unknown, at: string): AddrList {
  if (!isObj(v) || !ArrayIsArray(v.entries)) fail(`policy: ${at} is not an address list ({entries, missing})`);
  const list = v.entries as unknown[];
  const entries: AddrEntry[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    const where = `${at}.entries[${i}]`;
    if (!isObj(e)) fail(`policy: ${where} is not an object`);
    const rule = compileRule(e, where);
    const port = (p: unknown): number => (NumberIsInteger(p) && (p as number) >= 0 && (p as number) <= 65535 ? (p as number) : fail(`policy: ${where} has a port out of 0-65535`));
    if (e.kind === 'ip') {
      if (e.family !== 0 && e.family !== 4 && e.family !== 6) fail(`policy: ${where}.family must be 0, 4 or 6`);
      if (typeof e.lo !== 'string' || typeof e.hi !== 'string' || RegExpExec(DECIMAL, e.lo) === null || RegExpExec(DECIMAL, e.hi) === null) {
        fail(`policy: ${where}.lo/hi must be decimal integers in strings`);
      }
      entries[i] = ObjectFreeze({
        __proto__: null, kind: 'ip', family: e.family, lo: BigIntCtor(e.lo), hi: BigIntCtor(e.hi), portLo: port(e.portLo), portHi: port(e.portHi), rule,
      }) as AddrEntry;
    } else if (e.kind === 'host') {
      entries[i] = ObjectFreeze({
        __proto__: null, kind: 'host', re: compileRegExp(e.re, `${where}.re`), portLo: port(e.portLo), portHi: port(e.portHi), rule,
      }) as AddrEntry;
    } else if (e.kind === 'unix') {
      if (typeof e.abstract !== 'boolean') fail(`policy: ${where}.abstract must be a boolean`);
      entries[i] = ObjectFreeze({ __proto__: null, kind: 'unix', abstract: e.abstract, re: compileRegExp(e.re, `${where}.re`), rule }) as AddrEntry;
    } else {
      fail(`policy: ${where}.kind must be "ip", "host" or "unix"`);
    }
  }
  return ObjectFreeze({ __proto__: null, entries: ObjectFreeze(entries), missing: compileRule(v.missing, `${at}.missing`) }) as AddrList;
}

function compilePolicy(text: string | undefined): Compiled {
  if (text === undefined || text === '') fail(`${POLICY_ENV} is not set: the seatbelt has no policy to enforce`);
  let p: Partial<SeatbeltPolicy> & Record<string, unknown>;
  try {
    p = JSONParse(text);
  } catch (e) {
    return fail(`${POLICY_ENV} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(p)) fail(`${POLICY_ENV} is not a JSON object`);
  if (p.version !== 1) fail(`policy version ${JSONStringify(p.version)} is not supported (this seatbelt reads version 1)`);
  if (typeof p.enforce !== 'boolean') fail('policy: enforce must be a boolean');
  let files: Compiled['files'];
  if (p.files !== undefined) {
    const f = p.files as unknown;
    if (!isObj(f)) fail('policy: files is not an object');
    files = ObjectFreeze({ __proto__: null, read: compileGlobs(f.read, 'files.read'), write: compileGlobs(f.write, 'files.write'), deny: compileGlobs(f.deny, 'files.deny') }) as Compiled['files'];
  }
  let exec: Compiled['exec'];
  if (p.exec !== undefined) {
    const x = p.exec as unknown;
    if (!isObj(x)) fail('policy: exec is not an object');
    exec = ObjectFreeze({ __proto__: null, allow: compileGlobs(x.allow, 'exec.allow') }) as Compiled['exec'];
  }
  const fk = p.fork as unknown;
  if (!isObj(fk) || typeof fk.allowed !== 'boolean') fail('policy: fork must be {allowed: boolean, rule}');
  const fork = ObjectFreeze({ __proto__: null, allowed: fk.allowed, rule: compileRule(fk.rule, 'fork.rule') }) as Compiled['fork'];
  let network: Compiled['network'];
  if (p.network !== undefined) {
    const n = p.network as unknown;
    if (!isObj(n)) fail('policy: network is not an object');
    const connect = compileAddresses(n.connect, 'network.connect');
    // Only connect's 'host' entries govern names (a bind is to an address of this machine).
    const hosts: HostEntry[] = [];
    for (let i = 0; i < connect.entries.length; i++) {
      const e = connect.entries[i]!;
      if (e.kind === 'host') put(hosts, hosts.length, e);
    }
    network = ObjectFreeze({ __proto__: null, connect, bind: compileAddresses(n.bind, 'network.bind'), hosts: ObjectFreeze(hosts) }) as Compiled['network'];
  }
  if (!ArrayIsArray(p.always)) fail('policy: always must be an array of "HOST:PORT"');
  const always: Dest[] = [];
  const al = p.always as unknown[];
  for (let i = 0; i < al.length; i++) {
    const d = typeof al[i] === 'string' ? parseHostPort(al[i] as string) : undefined;
    if (!d) fail(`policy: always[${i}] is not an IP address and port ("127.0.0.1:9001", "[::1]:9001")`);
    always[i] = d;
  }
  return ObjectFreeze({
    __proto__: null, enforce: p.enforce, files, exec, fork, network, always: ObjectFreeze(always), native: compileGlobs(p.native, 'native'),
  }) as Compiled;
}

// ---- addresses ----
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Dotted-quad IPv4 (four decimal octets, no leading zeros, as inet_pton and net.isIPv4 take it). */
function parseIPv4(s: string): bigint | undefined {
  let value = 0n;
  let octets = 0;
  let i = 0;
  const n = s.length;
  while (octets < 4) {
    let v = 0;
    let digits = 0;
    while (i < n) {
      const c = StrCharCodeAt(s, i);
      if (c < 48 || c > 57) break;
      if (digits === 1 && v === 0) return undefined; // a leading zero
      v = v * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || v > 255) return undefined;
    value = (value << 8n) | BigIntCtor(v);
    octets++;
    if (octets < 4) {
      if (i >= n || StrCharCodeAt(s, i) !== 46) return undefined;
      i++;
    }
  }
  return i === n ? value : undefined;
}

/** Colon-separated hex groups ('' is none): their count and value. */
function hexGroups(s: string): { count: number; value: bigint } | undefined {
  if (s === '') return { count: 0, value: 0n };
  let count = 0;
  let value = 0n;
  let i = 0;
  for (;;) {
    let j = StrIndexOf(s, ':', i);
    if (j < 0) j = s.length;
    const g = StrSlice(s, i, j);
    if (RegExpExec(HEX_GROUP, g) === null) return undefined;
    value = (value << 16n) | BigIntCtor('0x' + g);
    count++;
    if (j === s.length) return { count, value };
    i = j + 1;
  }
}

function parseIPv6(text: string): bigint | undefined {
  let s = text;
  const zone = StrIndexOf(s, '%');
  if (zone >= 0) s = StrSlice(s, 0, zone);
  const lastColon = StrLastIndexOf(s, ':');
  if (lastColon < 0) return undefined;
  let total = 8;
  let tail = 0n;
  if (StrIndexOf(s, '.', lastColon) >= 0) {
    const v4 = parseIPv4(StrSlice(s, lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = v4;
    total = 6;
    s = StrSlice(s, 0, lastColon + 1);
    if (!StrEndsWith(s, '::')) s = StrSlice(s, 0, lastColon);
  }
  const dc = StrIndexOf(s, '::');
  let value: bigint;
  if (dc < 0) {
    const g = hexGroups(s);
    if (!g || g.count !== total) return undefined;
    value = g.value;
  } else {
    if (StrIndexOf(s, '::', dc + 1) >= 0) return undefined;
    const h = hexGroups(StrSlice(s, 0, dc));
    const r = hexGroups(StrSlice(s, dc + 2));
    if (!h || !r || h.count + r.count > total - 1) return undefined;
    value = (h.value << BigIntCtor(16 * (total - h.count))) | r.value;
  }
  return total === 6 ? (value << 32n) | tail : value;
}

/** An IP address as the rules see it: IPv4-mapped IPv6 is IPv4. */
function ipOf(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  if (v6 === undefined) return undefined;
  if ((v6 >> 32n) === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function parseHostPort(s: string): Dest | undefined {
  const colon = StrLastIndexOf(s, ':');
  if (colon < 0) return undefined;
  let host = StrSlice(s, 0, colon);
  const portText = StrSlice(s, colon + 1);
  if (RegExpExec(DECIMAL, portText) === null) return undefined;
  const port = NumberCtor(portText);
  if (port > 65535) return undefined;
  if (StrCharCodeAt(host, 0) === 91 /* [ */ && StrEndsWith(host, ']')) host = StrSlice(host, 1, -1);
  const ip = ipOf(host);
  return ip && { family: ip.family, value: ip.value, port };
}

const showIp = (ip: string, port: number): string => (StrIndexOf(ip, ':') >= 0 ? `[${ip}]:${port}` : `${ip}:${port}`);

// ---- paths ----
function normalize(p: string): string {
  let out = '';
  let i = 0;
  const n = p.length;
  while (i < n) {
    while (i < n && StrCharCodeAt(p, i) === 47) i++;
    if (i >= n) break;
    let j = StrIndexOf(p, '/', i);
    if (j < 0) j = n;
    const seg = StrSlice(p, i, j);
    if (seg === '..') {
      const k = StrLastIndexOf(out, '/');
      out = k <= 0 ? '' : StrSlice(out, 0, k);
    } else if (seg !== '.') {
      out = out + '/' + seg;
    }
    i = j;
  }
  return out === '' ? '/' : out;
}

const absolute = (p: string, base?: string): string => (StrCharCodeAt(p, 0) === 47 ? p : `${base ?? cwd()}/${p}`);

/** The directory part of a raw absolute path (trailing slashes dropped), and its last segment. */
function splitLast(p: string): { dir: string; base: string } {
  let end = p.length;
  while (end > 1 && StrCharCodeAt(p, end - 1) === 47) end--;
  const q = StrSlice(p, 0, end);
  const k = StrLastIndexOf(q, '/');
  return { dir: k <= 0 ? '/' : StrSlice(q, 0, k), base: StrSlice(q, k + 1) };
}

const joinPath = (dir: string, name: string): string => (dir === '/' ? '/' + name : dir + '/' + name);

function errCode(e: unknown): unknown {
  return isObj(e) ? (e as Any).code : undefined;
}

/**
 * Where a raw absolute path leads: its realpath when it exists; a dangling
 * symlink is followed to where it points; a path that does not exist is its
 * nearest existing parent's realpath plus the rest. `follow` false: the last
 * segment is not followed (unlink, rename, lchown...). A path that cannot be
 * resolved (EACCES, ELOOP, the permission model refusing the look) is taken
 * as written.
 */
function realOf(p: string, follow: boolean, depth = 0): string {
  if (depth > 40) return normalize(p);
  if (!follow) {
    const { dir, base } = splitLast(p);
    if (base === '' || base === '.' || base === '..') return realOf(p, true, depth + 1);
    return joinPath(realOf(dir, true, depth + 1), base);
  }
  try {
    return rApply(fsRealpathNative, fs, [p]);
  } catch (e) {
    const code = errCode(e);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return normalize(p);
  }
  let st: Any;
  try {
    st = rApply(fsLstatSync, fs, [p, NO_ENTRY]);
  } catch {
    return normalize(p);
  }
  const { dir, base } = splitLast(p);
  if (st !== undefined && (st.mode & S_IFMT) === S_IFLNK) {
    let target: string;
    try {
      target = rApply(fsReadlinkSync, fs, [p]);
    } catch {
      return normalize(p);
    }
    return realOf(absolute(target, realOf(dir, true, depth + 1)), true, depth + 1);
  }
  if (dir === p || base === '') return normalize(p);
  return normalize(joinPath(realOf(dir, true, depth + 1), base));
}

// ---- reporting and refusing ----
const policy = compilePolicy(process.env[POLICY_ENV]);
const policyText = process.env[POLICY_ENV] as string;
const channelText = process.env[CHANNEL_ENV];
const channelFd = channelText !== undefined && RegExpExec(DECIMAL, channelText) !== null ? NumberCtor(channelText) : -1;
/** The channel's identity at start (a socket: device and inode): a report goes only to that, never to what the descriptor became. */
const channelId = ((): string | undefined => {
  if (channelFd < 0) return undefined;
  try {
    const st = rApply(fsFstatSync, fs, [channelFd]) as FsModule.Stats;
    return st.isSocket() ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
})();
const stillChannel = (): boolean => {
  try {
    const st = rApply(fsFstatSync, fs, [channelFd]) as FsModule.Stats;
    return `${st.dev}:${st.ino}` === channelId;
  } catch {
    return false;
  }
};
const enforce = policy.enforce;
const audited = new SetCtor<string>();

function report(act: Record<string, unknown>, rule: Rule, api: string): void {
  const line: Any = { __proto__: null };
  const keys = rOwnKeys(act);
  for (let i = 0; i < keys.length; i++) line[keys[i] as string] = act[keys[i] as string];
  line.pid = pid;
  line.runtime = 'node';
  line.rule = rule;
  line.api = api;
  writeLine(line);
}

/** One JSON line on the channel; never throws (no channel, a closed one: nothing is written). */
function writeLine(line: object): void {
  // The handler may have closed the descriptor and opened something else on its number.
  if (channelId === undefined || !stillChannel()) return;
  let text: string;
  try {
    text = JSONStringify(line) + '\n';
  } catch {
    return;
  }
  try {
    let at = 0;
    // A report is a few hundred bytes: one write; a short one is finished as text.
    for (let tries = 0; at < text.length && tries < 8; tries++) {
      const n = rApply(fsWriteSync, fs, [channelFd, at ? StrSlice(text, at) : text]);
      at += n;
    }
  } catch { /* no channel: still refuse */ }
}

function refusal(what: string, rule: Rule): Error {
  let message = `syscage: refused ${what}: ${rule.what}`;
  if (rule.text !== undefined) message += ` ${rule.text}`;
  if (rule.loc !== undefined) message += ` (${rule.loc})`;
  const e = new ErrorCtor(message);
  rDefine(e, 'code', { value: REFUSED_CODE, enumerable: true, writable: true, configurable: true });
  return e;
}

/** Report a refusal; enforcing, return the error to throw (undefined under mode: audit). */
function refuse(act: Record<string, unknown>, rule: Rule, api: string, what: string): Error | undefined {
  if (!enforce) {
    // Audit: each distinct act once per process (a stream's create and open are one act).
    const key = `${act.act as string}\0${(act.path ?? act.address ?? act.name ?? act.what ?? '') as string}\0${(act.access ?? '') as string}`;
    if (SetHas(audited, key)) return undefined;
    if (SetSize(audited) < 4096) SetAdd(audited, key);
    report(act, rule, api);
    return undefined;
  }
  report(act, rule, api);
  return refusal(what, rule);
}

function gate(act: Record<string, unknown>, rule: Rule, api: string, what: string): void {
  const e = refuse(act, rule, api, what);
  if (e) throw e;
}

const matches = (re: RegExp, s: string): boolean => RegExpExec(re, s) !== null;

function whichGlob(list: GlobList, s: string): Rule | undefined {
  if (!matches(list.any, s)) return undefined;
  for (let i = 0; i < list.entries.length; i++) {
    const e = list.entries[i]!;
    if (matches(e.re, s)) return e.rule;
  }
  return list.missing;
}

// ---- files ----
type Access = 'read' | 'write';

/** The string a path argument names, or undefined when it is not a path (a descriptor, a FileHandle). */
function toPath(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v !== 'object' || v === null) return undefined;
  if (TypedArrayTag(v) === 'Uint8Array') return utf8Decode(decoder, v);
  const href = (v as Any).href;
  if (href && (v as Any).protocol !== undefined) return fileURLToPath(StringCtor(href));
  return undefined;
}

/** Check one path argument; returns what to hand on (the absolute path checked, or `arg` unchanged). */
function checkFile(api: string, arg: unknown, access: Access, follow = true): unknown {
  const f = policy.files;
  if (!f) return arg;
  const p = toPath(arg);
  if (p === undefined) return arg;
  const abs = absolute(p);
  const lexical = normalize(abs);
  const real = realOf(abs, follow);
  judgeFile(api, lexical, real, access);
  return abs;
}

function judgeFile(api: string, lexical: string, real: string, access: Access): void {
  const f = policy.files!;
  const act = (path: string, rule: Rule, through?: string): void => {
    const what = `${access} of ${path}${through !== undefined ? ` (through ${through})` : ''}`;
    gate({ __proto__: null, act: 'open', path, access }, rule, api, what);
  };
  const deniedLexical = whichGlob(f.deny, lexical);
  if (deniedLexical) return act(lexical, deniedLexical);
  const deniedReal = real !== lexical ? whichGlob(f.deny, real) : undefined;
  if (deniedReal) return act(real, deniedReal, lexical);
  const granted = (s: string): boolean => matches(f.write.any, s) || (access === 'read' && matches(f.read.any, s));
  const missing = access === 'read' ? f.read.missing : f.write.missing;
  if (!granted(lexical)) return act(lexical, missing);
  if (real !== lexical && !granted(real)) return act(real, missing, lexical);
}

function flagsAccess(flags: unknown): Access {
  if (flags === undefined || flags === null) return 'read';
  if (typeof flags === 'number') return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) !== 0 ? 'write' : 'read';
  if (typeof flags === 'string') {
    for (let i = 0; i < flags.length; i++) {
      const c = StrCharCodeAt(flags, i);
      if (c !== 114 /* r */ && c !== 115 /* s */) return 'write';
    }
    return 'read';
  }
  return 'write';
}

/** Options whose flag field decides the access: a copy that answers the flag read once. */
function pinnedOptions(options: unknown, key: 'flag' | 'flags'): { options: unknown; access: Access } {
  if (typeof options !== 'object' || options === null) return { options, access: 'read' };
  const flag = (options as Any)[key];
  const copy = ObjectCreate(options);
  put(copy, key, flag);
  return { options: copy, access: flagsAccess(flag) };
}

/** A flat copy of an option object's own enumerable fields, as Node's `{ ...options }` takes them. */
function ownCopy(options: unknown): Any {
  if (typeof options !== 'object' || options === null) return options;
  return { __proto__: null, ...(options as object) };
}

const isDirectory = (p: string): boolean => {
  try {
    const st = rApply(fsLstatSync, fs, [p, NO_ENTRY]);
    return st !== undefined && (st.mode & S_IFMT) === S_IFDIR;
  } catch {
    return false;
  }
};

/** Each entry under a directory (not following symlinked directories), as paths relative to it. */
function walk(root: string, visit: (rel: string) => void, depth = 0, rel = ''): void {
  if (depth > 64) return;
  let names: unknown;
  try {
    names = rApply(fsReaddirSync, fs, [rel ? joinPath(root, rel) : root]);
  } catch {
    return;
  }
  const list = names as string[];
  for (let i = 0; i < list.length; i++) {
    const r = rel ? rel + '/' + list[i] : list[i]!;
    visit(r);
    if (isDirectory(joinPath(root, r))) walk(root, visit, depth + 1, r);
  }
}

type Plan = readonly (readonly [index: number, kind: 'r' | 'w' | 'wn' | 'open' | 'rfile' | 'rstream' | 'mkdir' | 'mkdtemp'])[];

function applyPlan(api: string, plan: Plan, args: unknown[]): void {
  for (let i = 0; i < plan.length; i++) {
    const step = plan[i]!;
    const at = step[0];
    const kind = step[1];
    if (at >= args.length) {
      if (at === 0) checkFile(api, undefined, 'read'); // no path: let Node say so
      continue;
    }
    const arg = args[at];
    switch (kind) {
      case 'r': args[at] = checkFile(api, arg, 'read'); break;
      case 'w': args[at] = checkFile(api, arg, 'write'); break;
      case 'wn': args[at] = checkFile(api, arg, 'write', false); break;
      case 'open': args[at] = checkFile(api, arg, flagsAccess(args.length > at + 1 && typeof args[at + 1] !== 'function' ? args[at + 1] : undefined)); break;
      case 'rfile':
      case 'rstream': {
        let access: Access = 'read';
        if (args.length > at + 1) {
          const pinned = pinnedOptions(args[at + 1], kind === 'rfile' ? 'flag' : 'flags');
          args[at + 1] = pinned.options;
          access = pinned.access;
        }
        args[at] = checkFile(api, arg, access);
        break;
      }
      case 'mkdir': {
        const p = checkFile(api, arg, 'write', false);
        args[at] = p;
        const opts = args.length > at + 1 ? args[at + 1] : undefined;
        if (typeof p === 'string' && typeof opts === 'object' && opts !== null) {
          const copy = ownCopy(opts);
          args[at + 1] = copy;
          // -p: each directory it creates is a write too.
          if (copy.recursive) {
            let { dir } = splitLast(p);
            while (dir !== '/' && !exists(dir)) {
              checkFile(api, dir, 'write', false);
              dir = splitLast(dir).dir;
            }
          }
        }
        break;
      }
      case 'mkdtemp': {
        const p = toPath(arg);
        if (p !== undefined && policy.files) {
          const abs = absolute(p);
          checkFile(api, abs + 'XXXXXX', 'write', false);
          args[at] = abs;
        }
        break;
      }
    }
  }
}

const exists = (p: string): boolean => {
  try {
    return rApply(fsLstatSync, fs, [p, NO_ENTRY]) !== undefined;
  } catch {
    return true;
  }
};

/** cp / cpSync / promises.cp: the source is read, the destination written; recursive: every entry. */
function checkCp(api: string, args: unknown[]): void {
  if (!policy.files) return;
  const src = checkFile(api, args[0], 'read');
  const dest = checkFile(api, args[1], 'write', false);
  args[0] = src;
  args[1] = dest;
  let opts: Any;
  if (args.length > 2 && typeof args[2] === 'object' && args[2] !== null) {
    opts = ownCopy(args[2]);
    args[2] = opts;
  }
  if (typeof src !== 'string' || typeof dest !== 'string' || !opts?.recursive || !isDirectory(realOf(src, true))) return;
  const follow = !!opts.dereference;
  walk(src, (rel) => {
    checkFile(api, joinPath(src, rel), 'read', follow);
    checkFile(api, joinPath(dest, rel), 'write', false);
  });
}

/** rm / rmdir: the path is written; recursive: every entry of the tree. */
function checkRm(api: string, args: unknown[]): void {
  if (!policy.files) return;
  const p = checkFile(api, args[0], 'write', false);
  args[0] = p;
  if (args.length < 2 || typeof args[1] !== 'object' || args[1] === null) return;
  const opts = ownCopy(args[1]);
  args[1] = opts;
  if (typeof p !== 'string' || !opts.recursive || !isDirectory(p)) return;
  walk(p, (rel) => { checkFile(api, joinPath(p, rel), 'write', false); });
}

const GLOB_MAGIC = /[*?[\]{}()!+@\\]/;
/** glob / globSync / promises.glob: a read of each pattern's literal base directory. */
function checkGlob(api: string, args: unknown[]): void {
  if (!policy.files) return;
  let opts: Any;
  if (args.length > 1 && typeof args[1] === 'object' && args[1] !== null) {
    opts = ownCopy(args[1]);
    args[1] = opts;
  }
  let base = cwd();
  const c = opts?.cwd !== undefined ? toPath(opts.cwd) : undefined;
  if (c !== undefined) {
    base = absolute(c);
    opts.cwd = base;
  }
  const one = (pattern: unknown): void => {
    if (typeof pattern !== 'string') return;
    const m = RegExpExec(GLOB_MAGIC, pattern);
    const literal = m === null ? pattern : StrSlice(pattern, 0, m.index);
    const k = StrLastIndexOf(literal, '/');
    const dir = m === null ? splitLast(absolute(pattern, base)).dir : k < 0 ? base : absolute(k === 0 ? '/' : StrSlice(literal, 0, k), base);
    checkFile(api, dir, 'read');
  };
  const patterns = args[0];
  if (ArrayIsArray(patterns)) {
    const copy: unknown[] = [];
    for (let i = 0; i < patterns.length; i++) put(copy, i, patterns[i]);
    for (let i = 0; i < copy.length; i++) one(copy[i]);
    args[0] = copy;
  } else {
    one(patterns);
  }
}

// ---- patching helpers ----
function setName(f: Fn, name: string, from: Fn): void {
  rDefine(f, 'name', { value: name, configurable: true });
  rDefine(f, 'length', { value: from.length, configurable: true });
  // Keep what hangs off the original (util.promisify.custom, .native).
  const keys = rOwnKeys(from);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === 'name' || k === 'length' || k === 'prototype' || k === 'arguments' || k === 'caller') continue;
    const d = rGetOwnDesc(from, k);
    if (d) rDefine(f, k, d);
  }
}

function replace(obj: Any, name: string, wrapper: Fn, orig: Fn): void {
  setName(wrapper, name, orig);
  const d = rGetOwnDesc(obj, name);
  rDefine(obj, name, { value: wrapper, writable: d?.writable ?? true, enumerable: d?.enumerable ?? true, configurable: d?.configurable ?? true });
}

type Mode = 'throw' | 'promise';

function wrapFs(obj: Any, name: string, api: string, mode: Mode, check: (api: string, args: unknown[]) => void): void {
  const orig = obj[name];
  if (typeof orig !== 'function') return;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    if (mode === 'promise') {
      try {
        check(api, args);
      } catch (e) {
        return PromiseReject(PromiseCtor, e);
      }
      return rApply(orig, this, args);
    }
    check(api, args);
    return rApply(orig, this, args);
  };
  replace(obj, name, wrapper, orig);
}

const FS_PLANS: Readonly<Record<string, Plan>> = {
  __proto__: null as Any,
  appendFile: [[0, 'w']],
  chmod: [[0, 'w']],
  chown: [[0, 'w']],
  lchmod: [[0, 'wn']],
  lchown: [[0, 'wn']],
  copyFile: [[0, 'r'], [1, 'w']],
  link: [[0, 'wn'], [1, 'wn']],
  lutimes: [[0, 'wn']],
  utimes: [[0, 'w']],
  mkdir: [[0, 'mkdir']],
  mkdtemp: [[0, 'mkdtemp']],
  mkdtempDisposable: [[0, 'mkdtemp']],
  open: [[0, 'open']],
  openAsBlob: [[0, 'r']],
  opendir: [[0, 'r']],
  readdir: [[0, 'r']],
  readFile: [[0, 'rfile']],
  rename: [[0, 'wn'], [1, 'wn']],
  symlink: [[1, 'wn']],
  truncate: [[0, 'w']],
  unlink: [[0, 'wn']],
  watch: [[0, 'r']],
  writeFile: [[0, 'w']],
};

function patchFs(): void {
  const promises = fs.promises as Any;
  const names = rOwnKeys(FS_PLANS) as string[];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const plan = FS_PLANS[name]!;
    const check = (api: string, args: unknown[]): void => applyPlan(api, plan, args);
    wrapFs(fs, name, `fs.${name}`, 'throw', check);
    wrapFs(fs, name + 'Sync', `fs.${name}Sync`, 'throw', check);
    if (name !== 'watch') wrapFs(promises, name, `fs.promises.${name}`, 'promise', check);
  }
  const watchFile: Plan = [[0, 'r']];
  wrapFs(fs, 'watchFile', 'fs.watchFile', 'throw', (api, args) => applyPlan(api, watchFile, args));
  wrapFs(fs, 'createReadStream', 'fs.createReadStream', 'throw', (api, args) => applyPlan(api, [[0, 'rstream']], args));
  wrapFs(fs, 'createWriteStream', 'fs.createWriteStream', 'throw', (api, args) => applyPlan(api, [[0, 'w']], args));
  for (const [name, check] of [['cp', checkCp], ['rm', checkRm], ['rmdir', checkRm], ['glob', checkGlob]] as const) {
    wrapFs(fs, name, `fs.${name}`, 'throw', check);
    wrapFs(fs, name + 'Sync', `fs.${name}Sync`, 'throw', check);
    if (name !== 'glob') wrapFs(promises, name, `fs.promises.${name}`, 'promise', check);
  }
  // fs.promises.glob and fs.promises.watch are async iterators: a refusal is their first (and last) answer.
  const iterators: [string, (api: string, args: unknown[]) => void][] = [['glob', checkGlob], ['watch', (api, args) => applyPlan(api, [[0, 'r']], args)]];
  for (const [name, check] of iterators) {
    const orig = promises[name];
    if (typeof orig !== 'function') continue;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      try {
        check(`fs.promises.${name}`, args);
      } catch (e) {
        return (async function* refused() { throw e; })();
      }
      return rApply(orig, this, args);
    };
    replace(promises, name, wrapper, orig);
  }
}

// ---- programs ----
/** The program a spawn runs, as execvp finds it: absolute; with a slash, from cwd; bare, through PATH. */
function locateProgram(file: string, dir: string, pathVar: string | undefined): string {
  if (StrCharCodeAt(file, 0) === 47) return file;
  if (StrIndexOf(file, '/') >= 0) return joinPath(dir, file);
  // libuv's execvpe: the child environment's PATH, else _PATH_DEFPATH.
  const search = pathVar ?? '/usr/bin:/bin';
  let i = 0;
  for (;;) {
    let j = StrIndexOf(search, ':', i);
    if (j < 0) j = search.length;
    const d = StrSlice(search, i, j);
    const candidate = joinPath(d === '' ? dir : absolute(d, dir), file);
    try {
      const st = rApply(fsStatSync, fs, [candidate, NO_ENTRY]);
      if (st !== undefined && (st.mode & S_IFMT) === S_IFREG) {
        rApply(fsAccessSync, fs, [candidate, X_OK]);
        return candidate;
      }
    } catch (e) {
      // Cannot look (the permission model refuses it): this may be what runs, so it is what is checked.
      const code = errCode(e);
      if (code !== 'EACCES' && code !== 'ENOENT' && code !== 'ENOTDIR') return candidate;
    }
    if (j >= search.length) return file;
    i = j + 1;
  }
}

function argvOf(args: unknown): string[] | undefined {
  if (!ArrayIsArray(args)) return undefined;
  const out: string[] = [];
  let bytes = 0;
  for (let i = 0; i < args.length && i < 256 && bytes < 65536; i++) {
    const a = args[i];
    const s = typeof a === 'string' ? a : '';
    put(out, i, s);
    bytes += s.length;
  }
  rSetProto(out, null);
  return out;
}

/** Check a program start; `replace`: process.execve (no new process, but fork: false refuses it too). */
function checkSpawn(api: string, file: unknown, dirArg: unknown, pathVar: string | undefined, args: unknown, replaceSelf = false): void {
  if (typeof file !== 'string' || file === '') return; // Node refuses it itself
  const d = dirArg !== undefined && dirArg !== null ? toPath(dirArg) : undefined;
  const dir = d !== undefined ? normalize(absolute(d)) : cwd();
  if (!policy.fork.allowed && !replaceSelf) {
    gate({ __proto__: null, act: 'fork' }, policy.fork.rule, api, 'a new process');
    return;
  }
  if (!policy.fork.allowed || policy.exec) {
    const program = locateProgram(file, dir, pathVar);
    const lexical = StrCharCodeAt(program, 0) === 47 ? normalize(program) : program;
    const argv = argvOf(args);
    const act = (path: string, rule: Rule, through?: string): void => {
      const a: Any = { __proto__: null, act: 'exec', path };
      if (argv) a.argv = argv;
      gate(a, rule, api, `exec of ${path}${through !== undefined ? ` (through ${through})` : ''}`);
    };
    if (!policy.fork.allowed) return act(lexical, policy.fork.rule);
    const allow = policy.exec!.allow;
    if (StrCharCodeAt(lexical, 0) !== 47 || !matches(allow.any, lexical)) return act(lexical, allow.missing);
    const real = realOf(lexical, true);
    if (real !== lexical && !matches(allow.any, real)) return act(real, allow.missing, lexical);
  }
}

function pathFromPairs(pairs: unknown): string | undefined {
  if (!ArrayIsArray(pairs)) return undefined;
  for (let i = 0; i < pairs.length; i++) {
    const e = pairs[i];
    if (typeof e === 'string' && StrCharCodeAt(e, 0) === 80 && StrSlice(e, 0, 5) === 'PATH=') return StrSlice(e, 5);
  }
  return undefined;
}

/** A child's environment keeps the seatbelt's variables (a child Node reads them). */
function forcedPairs(pairs: unknown): unknown {
  if (!ArrayIsArray(pairs)) return pairs;
  const out: string[] = [];
  let n = 0;
  const push = (s: string): void => { put(out, n++, s); };
  for (let i = 0; i < pairs.length; i++) {
    const e = pairs[i];
    if (typeof e === 'string' && (StrSlice(e, 0, POLICY_ENV.length + 1) === POLICY_ENV + '=' || StrSlice(e, 0, CHANNEL_ENV.length + 1) === CHANNEL_ENV + '=')) continue;
    push(e as string);
  }
  push(`${POLICY_ENV}=${policyText}`);
  if (channelText !== undefined) push(`${CHANNEL_ENV}=${channelText}`);
  return out;
}

function forcedEnv(env: unknown): unknown {
  if (typeof env !== 'object' || env === null) return env;
  const copy: Any = { __proto__: null };
  // for-in: what Node's normalizeSpawnArguments reads (own and inherited enumerable keys).
  for (const k in env as object) copy[k] = (env as Any)[k];
  copy[POLICY_ENV] = policyText;
  if (channelText !== undefined) copy[CHANNEL_ENV] = channelText;
  return copy;
}

function restoreOwnEnv(): void {
  if (process.env[POLICY_ENV] !== policyText) process.env[POLICY_ENV] = policyText;
  if (channelText !== undefined && process.env[CHANNEL_ENV] !== channelText) process.env[CHANNEL_ENV] = channelText;
}

const checkedSpawns = new WeakSetCtor<object>();

function patchChildProcess(): void {
  const cp = childProcess as Any;
  const proto = cp.ChildProcess.prototype;
  const origSpawn: Fn = proto.spawn;
  // The Process handle below ChildProcess.prototype.spawn (reachable as child._handle).
  let processProto: Any;
  try {
    processProto = rGetProto(new cp.ChildProcess()._handle);
  } catch { /* none */ }

  const spawnWrapper = function (this: unknown, options: unknown): unknown {
    if (typeof options !== 'object' || options === null) return rApply(origSpawn, this, [options]);
    const o = ownCopy(options);
    o.envPairs = forcedPairs(o.envPairs);
    checkSpawn('child_process.spawn', o.file, o.cwd, pathFromPairs(o.envPairs), o.args);
    WeakSetAdd(checkedSpawns, o);
    return rApply(origSpawn, this, [o]);
  };
  replace(proto, 'spawn', spawnWrapper, origSpawn);

  if (processProto && typeof processProto.spawn === 'function') {
    const origHandleSpawn: Fn = processProto.spawn;
    const handleWrapper = function (this: unknown, ...args: unknown[]): unknown {
      // Node 20: spawn(options); Node 22+: spawn(file, args, cwd, envPairs, ...).
      const first = args[0];
      const positional = typeof first !== 'object' || first === null;
      const o: Any = positional ? { file: first, args: args[1], cwd: args[2], envPairs: args[3] } : first;
      if (positional || !WeakSetHas(checkedSpawns, o)) {
        checkSpawn('child_process handle spawn', o.file, o.cwd, pathFromPairs(o.envPairs), o.args);
      }
      return rApply(origHandleSpawn, this, args);
    };
    replace(processProto, 'spawn', handleWrapper, origHandleSpawn);
  }

  // spawnSync, execSync and execFileSync each reach the internal spawnSync on their own.
  const syncForm = (name: string, shellAlways: boolean): void => {
    const orig: Fn = cp[name];
    if (typeof orig !== 'function') return;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const file = args[0];
      // (file, args?, options?) as normalizeSpawnArguments reads it; execSync: (command, options?).
      let argv: unknown[] = [];
      let at = 1;
      if (!shellAlways && (ArrayIsArray(args[1]) || args[1] === undefined || args[1] === null)) {
        if (ArrayIsArray(args[1])) argv = args[1];
        at = 2;
      }
      let options: Any = { __proto__: null };
      if (args.length > at && typeof args[at] === 'object' && args[at] !== null) {
        options = ownCopy(args[at]);
        args[at] = options;
      }
      if (options.env !== undefined && options.env !== null) options.env = forcedEnv(options.env);
      else restoreOwnEnv();
      const shell = options.shell;
      let program = file;
      const shown: unknown[] = [];
      if (shellAlways || shell) {
        program = typeof shell === 'string' ? shell : '/bin/sh';
        put(shown, 0, program);
        put(shown, 1, '-c');
        put(shown, 2, typeof file === 'string' ? file : '');
      } else {
        put(shown, 0, file);
        for (let i = 0; i < argv.length; i++) put(shown, i + 1, argv[i]);
      }
      const env = options.env ?? process.env;
      checkSpawn(`child_process.${name}`, program, options.cwd, typeof env.PATH === 'string' ? env.PATH : undefined, shown);
      return rApply(orig, this, args);
    };
    replace(cp, name, wrapper, orig);
  };
  syncForm('spawnSync', false);
  syncForm('execFileSync', false);
  syncForm('execSync', true);

  const execve: Fn | undefined = (process as Any).execve;
  if (typeof execve === 'function') {
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const file = args[0];
      const argv = args.length > 1 ? args[1] : undefined;
      if (args.length > 2 && typeof args[2] === 'object' && args[2] !== null) args[2] = forcedEnv(args[2]);
      else restoreOwnEnv();
      const shown = ArrayIsArray(argv) ? argv : [file];
      // execve(2) does not search PATH: a bare name is relative to the working directory.
      checkSpawn('process.execve', typeof file === 'string' && StrIndexOf(file, '/') < 0 ? './' + file : file, undefined, undefined, shown, true);
      return rApply(execve, this, args);
    };
    replace(process, 'execve', wrapper, execve);
  }
}

// ---- network ----
/**
 * A UDP bind to the unspecified address and port 0 is what the kernel does itself (autobind) on a
 * first send; dgram does it explicitly. It is not checked against network.bind.
 */
const bindExempt = (ip: { family: 4 | 6; value: bigint }, port: number): boolean => port === 0 && ip.value === 0n;

function whichAddress(list: AddrList, ip: { family: 4 | 6; value: bigint } | undefined, port: number, unix?: { abstract: boolean; name: string }): Rule | undefined {
  for (let i = 0; i < list.entries.length; i++) {
    const e = list.entries[i]!;
    if (e.kind === 'unix') {
      if (unix && e.abstract === unix.abstract && matches(e.re, unix.abstract ? '/' + unix.name : unix.name)) return e.rule;
    } else if (e.kind === 'ip' && ip && port >= e.portLo && port <= e.portHi && (e.family === 0 || (e.family === ip.family && ip.value >= e.lo && ip.value <= e.hi))) {
      return e.rule;
    }
  }
  return undefined;
}

const isAlways = (ip: { family: 4 | 6; value: bigint }, port: number): boolean => {
  const a = policy.always;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]!;
    if (d.family === ip.family && d.value === ip.value && d.port === port) return true;
  }
  return false;
};

// ---- names: network.connect's 'host' entries ----
// With at least one, every lookup of a name is checked before it resolves (a name no entry
// matches is ENOTFOUND, as if it did not exist), and the addresses a lookup of an allowed name
// returns are bound to it, for its entries' ports, for BINDING_FLOOR_S: a connect to such an
// address is allowed as if an 'ip' entry allowed it. Each allowed answer is also written on the
// channel (act 'resolved') so that the process monitor, which sees connections but never names,
// binds the same addresses. The bindings are this thread's own (a Worker, a child process
// looks names up for itself).
const BINDING_FLOOR_MS = 300 * 1000; // types.ts BINDING_FLOOR_S
const UV_EAI_NONAME = -3008;
const hostEntries: readonly HostEntry[] = policy.network ? policy.network.hosts : [];
const namesGoverned = hostEntries.length > 0;

/** A name as the 'host' entries see it: lower-case, without a final dot. */
function normalName(host: string): string {
  const lower = StrToLowerCase(host);
  return StrEndsWith(lower, '.') ? StrSlice(lower, 0, lower.length - 1) : lower;
}

/** The 'host' entries matching a normal name (covering the port, when one is given), in policy order. */
function hostsFor(name: string, port?: number): HostEntry[] {
  const out: HostEntry[] = [];
  // A NUL ends the name the resolver sees: what follows it is no part of what is looked up.
  if (StrIndexOf(name, '\0') >= 0) return out;
  for (let i = 0; i < hostEntries.length; i++) {
    const e = hostEntries[i]!;
    if (port !== undefined && (port < e.portLo || port > e.portHi)) continue;
    if (matches(e.re, name)) put(out, out.length, e);
  }
  return out;
}

/**
 * An address, not a name: parsed here (net.isIP goes through RegExp.prototype.test, which the
 * handler can poison). A scope ("fe80::1%eth0") makes it a name: what follows the % is text.
 */
const isAddress = (host: string): boolean => StrIndexOf(host, '%') < 0 && ipOf(host) !== undefined;

/**
 * Is this host a name the policy lets the handler look up (for this port, when given)? For a
 * lookup an address is not a name (it is answered without asking anyone); for a DNS query
 * (`query`: c-ares sends whatever it is given) everything is.
 */
const nameAllowed = (host: string, port?: number, query = false): boolean =>
  !namesGoverned || (!query && isAddress(host)) || hostsFor(normalName(host), port).length > 0;

/**
 * Check a name before it is looked up: undefined when it may be (or under mode: audit, reported),
 * else the error to deliver in place of the answer: ENOTFOUND, as Node's own (errno, syscall,
 * hostname), so that clients treat it as a name that does not exist.
 */
function nameRefusal(host: string, port: number | undefined, api: string, syscall: string, query = false): Error | undefined {
  if (nameAllowed(host, port, query)) return undefined;
  const list = policy.network!.connect;
  const name = normalName(host);
  const what = port === undefined ? `lookup of ${name}` : `lookup of ${name} for port ${port}`;
  const e = refuse({ __proto__: null, act: 'resolve', name }, list.missing, api, what);
  if (!e) return undefined;
  const own = (k: string, v: unknown): void => { rDefine(e, k, { value: v, enumerable: true, writable: true, configurable: true }); };
  own('errno', syscall === 'getaddrinfo' ? UV_EAI_NONAME : undefined);
  own('code', 'ENOTFOUND');
  own('syscall', syscall);
  own('hostname', host);
  return e;
}

/** A lookup that answers the refusal (asynchronously, as a resolver would) and looks nothing up. */
function refusedLookup(e: Error): Fn {
  return function lookup(hostname: unknown, opts: unknown, callback: unknown): void {
    const cb = typeof opts === 'function' ? opts : callback;
    if (typeof cb === 'function') nextTick(cb as Fn, e);
  };
}

interface Binding { readonly name: string; readonly entries: readonly HostEntry[]; readonly until: number }
/** Address ("4:VALUE", "6:VALUE": IPv4-mapped IPv6 is IPv4) → the names it is bound to, until when. */
const bindings = new MapCtor<string, readonly Binding[]>();
const addressKey = (ip: { family: 4 | 6; value: bigint }): string => `${ip.family}:${ip.value}`;

/** The live bindings of an address (expired ones dropped). */
function boundTo(ip: { family: 4 | 6; value: bigint }, now: number): readonly Binding[] {
  const key = addressKey(ip);
  const list = MapGet(bindings, key) as readonly Binding[] | undefined;
  if (list === undefined) return [];
  const live: Binding[] = [];
  for (let i = 0; i < list.length; i++) if (list[i]!.until > now) put(live, live.length, list[i]);
  if (live.length === list.length) return list;
  if (live.length) MapSet(bindings, key, ObjectFreeze(live));
  else MapDelete(bindings, key);
  return live;
}

/** The text forms of the addresses in an answer: "a.b.c.d", ["a", ...], {address}, [{address}, ...]. */
function answerAddresses(answer: unknown): string[] {
  const out: string[] = [];
  const one = (v: unknown): void => {
    const a = typeof v === 'string' ? v : isObj(v) && typeof v.address === 'string' ? v.address : undefined;
    if (a !== undefined && ipOf(a) !== undefined) put(out, out.length, a);
  };
  if (ArrayIsArray(answer)) for (let i = 0; i < answer.length; i++) one(answer[i]);
  else one(answer);
  return out;
}

/**
 * Bind the addresses an allowed name's lookup returned, and say so on the channel. `port`: the
 * connect the lookup was for (its entry is the one the line names). A name no entry allows binds
 * nothing (a lookup let through under mode: audit).
 */
function bindAnswer(host: string, addresses: readonly string[], api: string, port?: number): void {
  if (!namesGoverned || addresses.length === 0) return;
  const name = normalName(host);
  const entries = hostsFor(name);
  if (entries.length === 0) return;
  const now = rApply(DateNow, undefined, []) as number;
  const fresh: Binding = ObjectFreeze({ __proto__: null, name, entries: ObjectFreeze(entries), until: now + BINDING_FLOOR_MS }) as Binding;
  const shown: string[] = [];
  rSetProto(shown, null);
  for (let i = 0; i < addresses.length; i++) {
    const ip = ipOf(addresses[i]!);
    if (!ip) continue;
    put(shown, shown.length, addresses[i]);
    const old = boundTo(ip, now);
    const list: Binding[] = [];
    for (let j = 0; j < old.length; j++) if (old[j]!.name !== name) put(list, list.length, old[j]);
    put(list, list.length, fresh);
    MapSet(bindings, addressKey(ip), ObjectFreeze(list));
  }
  if (shown.length === 0) return;
  if (MapSize(bindings) > 4096) sweepBindings(now);
  let first = entries[0]!;
  if (port !== undefined) {
    const forPort = hostsFor(name, port);
    if (forPort.length) first = forPort[0]!;
  }
  writeLine({ __proto__: null, act: 'resolved', name, addresses: shown, pid, runtime: 'node', rule: first.rule, api });
}

function sweepBindings(now: number): void {
  const dead: string[] = [];
  MapForEach(bindings, (list: readonly Binding[], key: string) => {
    let live = false;
    for (let i = 0; i < list.length; i++) if (list[i]!.until > now) live = true;
    if (!live) put(dead, dead.length, key);
  });
  for (let i = 0; i < dead.length; i++) MapDelete(bindings, dead[i]);
}

/** Is an address bound to a name whose entries cover this port; and which names is it bound to? */
function bindingOf(ip: { family: 4 | 6; value: bigint }, port: number): { covered: boolean; names: string[] } {
  const names: string[] = [];
  if (!namesGoverned) return { covered: false, names };
  const list = boundTo(ip, rApply(DateNow, undefined, []) as number);
  for (let i = 0; i < list.length; i++) {
    const b = list[i]!;
    for (let j = 0; j < b.entries.length; j++) {
      const e = b.entries[j]!;
      if (port >= e.portLo && port <= e.portHi) return { covered: true, names };
    }
    put(names, names.length, b.name);
  }
  return { covered: false, names };
}

/** May the handler connect (or send) to this address: always, an 'ip' entry, or a name's binding? */
const connectAllowed = (ip: { family: 4 | 6; value: bigint }, port: number): boolean =>
  isAlways(ip, port) || whichAddress(policy.network!.connect, ip, port) !== undefined || bindingOf(ip, port).covered;

/** Check an IP destination; returns the error to raise (undefined: allowed, or audited). */
function ipRefusal(use: 'connect' | 'bind' | 'send', host: string, port: number, api: string, ephemeralFree = false): Error | undefined {
  const n = policy.network;
  if (!n) return undefined;
  const address = showIp(host, port);
  const ip = ipOf(host);
  const act: Any = { __proto__: null, act: use === 'bind' ? 'bind' : 'connect', address };
  let what = `${use === 'bind' ? 'bind to' : use === 'send' ? 'send to' : 'connect to'} ${address}`;
  const list = use === 'bind' ? n.bind : n.connect;
  if (!ip) return refuse(act, { what: list.missing.what, text: 'an address that cannot be checked is refused', loc: list.missing.loc } as Rule, api, what);
  if (use !== 'bind' && isAlways(ip, port)) return undefined;
  if (use === 'bind' && ephemeralFree && bindExempt(ip, port)) return undefined;
  if (whichAddress(list, ip, port)) return undefined;
  if (use !== 'bind') {
    const b = bindingOf(ip, port);
    if (b.covered) return undefined;
    if (b.names.length) {
      // Bound to names, none of them for this port: say which.
      let shown = '';
      const from: string[] = [];
      rSetProto(from, null);
      for (let i = 0; i < b.names.length; i++) {
        shown += (i ? ', ' : '') + b.names[i]!;
        put(from, i, b.names[i]);
      }
      act.resolvedFrom = from;
      what += ` (resolved from ${shown})`;
    }
  }
  return refuse(act, list.missing, api, what);
}

/** Check a UNIX socket address (a path, or an abstract name after a NUL). */
function unixRefusal(use: 'connect' | 'bind', path: string, api: string): Error | undefined {
  const n = policy.network;
  if (!n) return undefined;
  const list = use === 'bind' ? n.bind : n.connect;
  const verb = use === 'bind' ? 'bind to' : 'connect to';
  if (StrCharCodeAt(path, 0) === 0) {
    const name = StrSlice(path, 1);
    const address = `unix:@${name}`;
    if (whichAddress(list, undefined, -1, { abstract: true, name })) return undefined;
    return refuse({ __proto__: null, act: use, address }, list.missing, api, `${verb} ${address}`);
  }
  const abs = absolute(path);
  const lexical = normalize(abs);
  if (!whichAddress(list, undefined, -1, { abstract: false, name: lexical })) {
    return refuse({ __proto__: null, act: use, address: `unix:${lexical}` }, list.missing, api, `${verb} unix:${lexical}`);
  }
  // connect follows symlinks to the socket; bind creates the name.
  const real = realOf(abs, use === 'connect');
  if (real !== lexical && !whichAddress(list, undefined, -1, { abstract: false, name: real })) {
    return refuse({ __proto__: null, act: use, address: `unix:${real}` }, list.missing, api, `${verb} unix:${real} (through unix:${lexical})`);
  }
  return undefined;
}

const portNumber = (p: unknown): number => {
  if (typeof p === 'number') return p | 0;
  if (typeof p === 'string') return NumberCtor(p) | 0;
  return 0;
};

/** dns.lookup's (hostname, [options,] callback): the options (undefined when left out) and the callback. */
function lookupArgs(opts: unknown, callback: unknown): { readonly o: unknown; readonly cb: Fn } {
  return typeof opts === 'function' ? { o: undefined, cb: opts as Fn } : { o: opts, cb: callback as Fn };
}

/** A lookup that hands on only the addresses the policy allows (all refused: the first one's refusal). */
function filteringLookup(inner: Fn, port: number, api: string): Fn {
  return function lookup(this: unknown, hostname: unknown, opts: unknown, callback: unknown): unknown {
    const { o, cb } = lookupArgs(opts, callback);
    const done = function (err: unknown, address: unknown, family: unknown): void {
      if (err) return void cb(err, address, family);
      if (typeof address === 'string') {
        const e = ipRefusal('connect', address, port, api);
        if (e) return void cb(e);
        const ip = ipOf(address);
        return void cb(null, address, ip ? (StrIndexOf(address, ':') >= 0 ? 6 : 4) : family);
      }
      if (!ArrayIsArray(address)) return void cb(err, address, family);
      const allowed: Any[] = [];
      const all: Any[] = [];
      let first: Error | undefined;
      let firstRefused = -1;
      for (let i = 0; i < address.length; i++) {
        const entry = address[i];
        const a = isObj(entry) ? entry.address : undefined;
        if (typeof a !== 'string') continue;
        const fresh = { address: a, family: StrIndexOf(a, ':') >= 0 ? 6 : 4 };
        put(all, all.length, fresh);
        const ip = ipOf(a);
        const ok = ip !== undefined && connectAllowed(ip, port);
        if (ok) put(allowed, allowed.length, fresh);
        else if (firstRefused < 0) firstRefused = all.length - 1;
      }
      if (allowed.length || firstRefused < 0) return void cb(null, allowed.length ? allowed : all);
      first = ipRefusal('connect', all[firstRefused].address, port, api);
      if (first) return void cb(first);
      return void cb(null, all);
    };
    return o === undefined ? rApply(inner, this, [hostname, done]) : rApply(inner, this, [hostname, o, done]);
  };
}

/**
 * The lookup of a connect to an allowed name through the seatbelt's own dns.lookup: what it
 * returns is a real answer for a name allowed for this port, so its addresses are bound to the
 * name and handed on. (An answer from any other lookup, the handler's own, is checked as
 * addresses: it may be anything the handler likes.)
 */
function bindingLookup(host: string, port: number, api: string): Fn {
  return function lookup(this: unknown, hostname: unknown, opts: unknown, callback: unknown): unknown {
    const { o, cb } = lookupArgs(opts, callback);
    const done = function (this: unknown, err: unknown, address: unknown, family: unknown): void {
      if (!err) {
        try { bindAnswer(host, answerAddresses(address), api, port); } catch { /* the answer is handed on; its connect is checked */ }
      }
      rApply(cb, this, [err, address, family]);
    };
    // The name checked is the one looked up, whatever Node passes.
    return rApply(originalLookup!, this, o === undefined ? [host, done] : [host, o, done]);
  };
}

let tcpProto: Any;
let pipeProto: Any;
let udpProto: Any;
let dgramState: symbol | undefined;
let kNormalized: symbol | undefined;

function probeHandles(): void {
  // Socket.prototype.connect makes the handle before anything can fail; a stand-in socket whose
  // _unrefTimer throws stops it there: no descriptor, no DNS, no error message to format.
  const stop = {};
  const handleOf = (options: object): Any => {
    const fake = ObjectCreate(net.Socket.prototype);
    fake._unrefTimer = (): never => { throw stop; };
    try { rApply(net.Socket.prototype.connect, fake, [options]); } catch { /* expected */ }
    const h = fake._handle;
    if (!h) return undefined;
    try { h.close(); } catch { /* none */ }
    return rGetProto(h);
  };
  try { tcpProto = handleOf({ port: 1, host: '127.0.0.1' }); } catch { /* none */ }
  try { pipeProto = handleOf({ path: '/' }); } catch { /* none */ }
  try {
    const s = ObjectCreate(dgram.Socket.prototype);
    rApply(dgram.Socket, s, ['udp4']);
    const syms = ObjectGetOwnPropertySymbols(s);
    for (let i = 0; i < syms.length; i++) {
      const v = s[syms[i]!];
      if (isObj(v) && 'handle' in v && 'connectState' in v) {
        dgramState = syms[i];
        udpProto = rGetProto(v.handle as object);
        try { (v.handle as Any).close(); } catch { /* none */ }
      }
    }
  } catch { /* none */ }
  if (normalizeArgs) {
    const arr = rApply(normalizeArgs, net, [[]]);
    const syms = ObjectGetOwnPropertySymbols(arr);
    if (syms.length === 1) kNormalized = syms[0];
  }
}

function normalizedArray(options: unknown, cb: unknown): unknown[] {
  const arr = [options, cb];
  if (kNormalized) rDefine(arr, kNormalized, { value: true, configurable: true, enumerable: true, writable: true });
  return arr;
}

function patchNet(): void {
  const proto = net.Socket.prototype as Any;
  const origConnect: Fn = proto.connect;
  const connectWrapper = function (this: Any, ...args: unknown[]): unknown {
    if (!policy.network || !normalizeArgs) return rApply(origConnect, this, args);
    const a0: Any = args[0];
    const normalized = ArrayIsArray(a0) && kNormalized && (a0 as Any)[kNormalized] ? a0 : rApply(normalizeArgs, net, [args]);
    const options = normalized[0];
    const cb = normalized[1];
    if (typeof options !== 'object' || options === null) return rApply(origConnect, this, args);
    const o = ObjectCreate(options);
    const pin = (k: string, v: unknown): void => { put(o, k, v); };
    const path = options.path;
    const host = options.host;
    const port = options.port;
    const lookup = options.lookup;
    const localAddress = options.localAddress;
    const localPort = options.localPort;
    pin('path', path); pin('host', host); pin('port', port); pin('lookup', lookup); pin('localAddress', localAddress); pin('localPort', localPort);
    const handle = this._handle;
    const handleProto = handle ? rGetProto(handle) : undefined;
    const pipe = handleProto !== undefined && handleProto === tcpProto ? false : handleProto !== undefined && handleProto === pipeProto ? true : !!path;
    let e: Error | undefined;
    if (pipe) {
      if (typeof path === 'string') e = unixRefusal('connect', path, 'net.Socket.connect');
    } else {
      const p = portNumber(port);
      const h = host || 'localhost';
      if (localAddress || localPort) {
        const la = typeof localAddress === 'string' && localAddress ? localAddress : (isIP(h) === 6 ? '::' : '0.0.0.0');
        e = ipRefusal('bind', la, portNumber(localPort), 'net.Socket.connect');
      }
      if (!e && typeof h === 'string') {
        if (isIP(h) !== 0) e = ipRefusal('connect', h, p, 'net.Socket.connect');
        else if (lookup === undefined || lookup === null || typeof lookup === 'function') {
          const inner = typeof lookup === 'function' ? lookup : (dnsLookup() as Fn);
          const refusedName = nameRefusal(h, p, 'net.Socket.connect', 'getaddrinfo');
          // A refused name fails as a lookup does (the socket's 'error', after its 'lookup' event).
          if (refusedName) pin('lookup', refusedLookup(refusedName));
          else if (namesGoverned && inner === lookupWrapper && nameAllowed(h, p)) pin('lookup', bindingLookup(h, p, 'net.Socket.connect'));
          else pin('lookup', filteringLookup(inner, p, 'net.Socket.connect'));
        }
      }
    }
    if (e) throw e;
    return rApply(origConnect, this, [normalizedArray(o, cb)]);
  };
  replace(proto, 'connect', connectWrapper, origConnect);

  const serverProto = net.Server.prototype as Any;
  const origListen: Fn = serverProto.listen;
  const listenWrapper = function (this: Any, ...args: unknown[]): unknown {
    if (!policy.network || !normalizeArgs) return rApply(origListen, this, args);
    const normalized = rApply(normalizeArgs, net, [args]);
    const options = normalized[0];
    const cb = normalized[1];
    if (typeof options !== 'object' || options === null) return rApply(origListen, this, args);
    // An existing handle, descriptor or BoundSocket: nothing new is bound here.
    if (options._handle || options.handle || typeof options.fd === 'number' || (BoundSocketClass && options instanceof BoundSocketClass)) {
      return rApply(origListen, this, args);
    }
    let port = options.port;
    const host = options.host;
    const path = options.path;
    const hadPort = 'port' in options;
    if (args.length === 0 || typeof args[0] === 'function' || port === null || (port === undefined && hadPort)) port = 0;
    const o = ObjectCreate(options);
    const pin = (k: string, v: unknown): void => { put(o, k, v); };
    pin('_handle', undefined); pin('handle', undefined); pin('fd', undefined);
    pin('port', port); pin('host', host); pin('path', path);
    const toNumber = (x: unknown): number | false => { const v = NumberCtor(x); return v >= 0 ? v : false; };
    pin('backlog', options.backlog || toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]));
    const call = (): unknown => rApply(origListen, this, cb ? [o, cb] : [o]);
    const api = 'net.Server.listen';
    if (typeof port === 'number' || typeof port === 'string') {
      const p = portNumber(port);
      if (!host) {
        // Node binds [::] (dual stack), falling back to 0.0.0.0.
        const v6 = ipOf('::')!;
        const v4 = ipOf('0.0.0.0')!;
        if (whichAddress(policy.network.bind, v6, p)) return call();
        if (whichAddress(policy.network.bind, v4, p)) { pin('host', '0.0.0.0'); return call(); }
        const e = ipRefusal('bind', '::', p, api);
        if (e) throw e;
        return call();
      }
      if (typeof host === 'string' && isIP(host) !== 0) {
        const e = ipRefusal('bind', host, p, api);
        if (e) throw e;
        return call();
      }
      if (typeof host !== 'string') return call();
      // A name: resolve it as Node would, check the address, listen on it.
      (dnsLookup() as Fn)(host, { all: true }, (err: unknown, addresses: Any) => {
        if (err) return void this.emit('error', err);
        let chosen: Any;
        for (let i = 0; i < addresses.length; i++) {
          const a = addresses[i];
          if (!(StrIndexOf(a.address, 'fe80:') === 0)) { chosen = a; break; }
        }
        chosen ??= addresses[0];
        const address = chosen ? StringCtor(chosen.address) : '';
        const e = ipRefusal('bind', address, p, api);
        if (e) return void this.emit('error', e);
        pin('host', address);
        try { call(); } catch (x) { this.emit('error', x); }
      });
      return this;
    }
    if (typeof path === 'string' && path) {
      const e = unixRefusal('bind', path, api);
      if (e) throw e;
    }
    return call();
  };
  replace(serverProto, 'listen', listenWrapper, origListen);

  // net.BoundSocket (Node 26): bound at construction.
  const BoundSocket = (net as Any).BoundSocket;
  if (typeof BoundSocket === 'function') {
    BoundSocketClass = BoundSocket;
    const wrapped = new ProxyCtor(BoundSocket, {
      construct(target: Any, args: unknown[], newTarget: Any) {
        const options = args[0];
        if (policy.network && isObj(options)) {
          const copy: Any = { __proto__: null };
          const keys = ['path', 'host', 'port', 'ipv6Only', 'reusePort'];
          for (let i = 0; i < keys.length; i++) {
            const v = (options as Any)[keys[i]!];
            if (v !== undefined) copy[keys[i]!] = v;
          }
          let e: Error | undefined;
          if (typeof copy.path === 'string') e = unixRefusal('bind', copy.path, 'net.BoundSocket');
          else if (copy.path === undefined) {
            const h = typeof copy.host === 'string' ? copy.host : copy.ipv6Only ? '::' : '0.0.0.0';
            e = ipRefusal('bind', h, portNumber(copy.port), 'net.BoundSocket');
          }
          if (e) throw e;
          args[0] = copy;
        }
        return rConstruct(target, args, newTarget);
      },
    });
    rDefine(BoundSocket.prototype, 'constructor', { value: wrapped, writable: true, enumerable: false, configurable: true });
    (net as Any).BoundSocket = wrapped;
  }
}
let BoundSocketClass: Any;

let dnsModule: Any;
/** dns.lookup as it is now (a caching library may have replaced it; its answers are checked anyway). */
function dnsLookup(): Fn {
  dnsModule ??= builtin('node:dns');
  return dnsModule.lookup;
}

/** dns.lookup as Node made it, and the seatbelt's wrapper of it (only when names are governed). */
let originalLookup: Fn | undefined;
let lookupWrapper: Fn | undefined;

/** The c-ares query each Resolver method makes (its errors' syscall), and those whose answers are addresses. */
const QUERY_OF: Readonly<Record<string, string>> = ObjectFreeze({
  __proto__: null as Any,
  resolve4: 'queryA', resolve6: 'queryAaaa', resolveAny: 'queryAny', resolveCaa: 'queryCaa', resolveCname: 'queryCname',
  resolveMx: 'queryMx', resolveNaptr: 'queryNaptr', resolveNs: 'queryNs', resolvePtr: 'queryPtr', resolveSoa: 'querySoa',
  resolveSrv: 'querySrv', resolveTlsa: 'queryTlsa', resolveTxt: 'queryTxt',
});
const QUERY_OF_RRTYPE: Readonly<Record<string, string>> = ObjectFreeze({
  __proto__: null as Any,
  A: 'queryA', AAAA: 'queryAaaa', ANY: 'queryAny', CAA: 'queryCaa', CNAME: 'queryCname', MX: 'queryMx', NAPTR: 'queryNaptr',
  NS: 'queryNs', PTR: 'queryPtr', SOA: 'querySoa', SRV: 'querySrv', TLSA: 'queryTlsa', TXT: 'queryTxt',
});
const answersAddresses = (query: string): boolean => query === 'queryA' || query === 'queryAaaa' || query === 'queryAny';

/**
 * node:dns, when names are governed: dns.lookup (callback and promises), the resolve functions
 * and both Resolver classes check the name before anything is sent (a refusal is ENOTFOUND
 * through the callback or the promise) and bind what an allowed name's lookup returns. Below
 * them, the c-ares channel's query methods (reachable as resolver._handle) refuse a name that
 * got there unchecked with UV_EAI_NONAME (thrown by Node as ENOTFOUND). A numeric host is an
 * address to dns.lookup (it answers it itself, and it passes); to a resolve function it is a
 * name like any other (c-ares would send the query). Reverse lookups (reverse, lookupService)
 * name an address and are left alone.
 */
function patchDns(): void {
  if (!namesGoverned) return;
  dnsModule ??= builtin('node:dns');
  const dns = dnsModule;
  const isName = (host: unknown): host is string => typeof host === 'string' && host !== '' && !isAddress(host);

  const lookup: Fn = dns.lookup;
  originalLookup = lookup;
  const lookupWrapped = function (this: unknown, ...args: unknown[]): unknown {
    const host = args[0];
    if (!isName(host)) return rApply(lookup, this, args);
    const at = typeof args[1] === 'function' ? 1 : 2;
    const cb = args[at];
    const e = nameRefusal(host, undefined, 'dns.lookup', 'getaddrinfo');
    if (e) {
      if (typeof cb !== 'function') throw e;
      nextTick(cb as Fn, e);
      return {};
    }
    if (typeof cb !== 'function' || !nameAllowed(host)) return rApply(lookup, this, args);
    args[at] = function (this: unknown, ...r: unknown[]): unknown {
      if (!r[0]) {
        try { bindAnswer(host, answerAddresses(r[1]), 'dns.lookup'); } catch { /* the connect is checked */ }
      }
      return rApply(cb as Fn, this, r);
    };
    return rApply(lookup, this, args);
  };
  replace(dns, 'lookup', lookupWrapped, lookup);
  lookupWrapper = lookupWrapped;

  /** A resolve method: `promise` ones reject, callback ones call back (or throw without a callback). */
  const wrapQuery = (obj: Any, method: string, api: string, promise: boolean): void => {
    const orig = obj?.[method];
    if (typeof orig !== 'function') return;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const host = args[0];
      // Not a string: Node refuses it itself. Any string is a name to c-ares, numeric or not.
      if (typeof host !== 'string') return rApply(orig, this, args);
      const rrtype = args[1];
      const query = method !== 'resolve' ? QUERY_OF[method]! : typeof rrtype === 'string' ? (QUERY_OF_RRTYPE[rrtype] ?? `query${rrtype}`) : 'queryA';
      const e = nameRefusal(host, undefined, api, query, true);
      const bind = (answer: unknown): void => {
        try { bindAnswer(host, answerAddresses(answer), api); } catch { /* the connect is checked */ }
      };
      if (promise) {
        if (e) return PromiseReject(PromiseCtor, e);
        const p = rApply(orig, this, args);
        if (!answersAddresses(query) || !nameAllowed(host, undefined, true)) return p;
        return PromiseThen(p, (answer: unknown) => { bind(answer); return answer; });
      }
      const at = method === 'resolve' ? (typeof rrtype === 'function' ? 1 : 2) : (args.length > 2 ? 2 : 1);
      const cb = args[at];
      if (e) {
        if (typeof cb !== 'function') throw e;
        nextTick(cb as Fn, e);
        return {};
      }
      if (typeof cb !== 'function' || !answersAddresses(query) || !nameAllowed(host, undefined, true)) return rApply(orig, this, args);
      args[at] = function (this: unknown, ...r: unknown[]): unknown {
        if (!r[0]) bind(r[1]);
        return rApply(cb as Fn, this, r);
      };
      return rApply(orig, this, args);
    };
    replace(obj, method, wrapper, orig);
  };
  const methods = rOwnKeys(QUERY_OF) as string[];
  put(methods, methods.length, 'resolve');
  const promises = dns.promises;
  for (let i = 0; i < methods.length; i++) {
    const m = methods[i]!;
    // The module's functions are the default resolver's methods, bound when node:dns loaded (and
    // bound again from the prototypes, the wrappers, by setServers).
    wrapQuery(dns, m, `dns.${m}`, false);
    wrapQuery(dns.Resolver?.prototype, m, `dns.Resolver.${m}`, false);
    wrapQuery(promises, m, `dns.promises.${m}`, true);
    wrapQuery(promises?.Resolver?.prototype, m, `dns.promises.Resolver.${m}`, true);
  }

  const promisesLookup: Fn | undefined = promises?.lookup;
  if (typeof promisesLookup === 'function') {
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const host = args[0];
      if (!isName(host)) return rApply(promisesLookup, this, args);
      const e = nameRefusal(host, undefined, 'dns.promises.lookup', 'getaddrinfo');
      if (e) return PromiseReject(PromiseCtor, e);
      const p = rApply(promisesLookup, this, args);
      if (!nameAllowed(host)) return p;
      return PromiseThen(p, (answer: unknown) => {
        try { bindAnswer(host, answerAddresses(answer), 'dns.promises.lookup'); } catch { /* the connect is checked */ }
        return answer;
      });
    };
    replace(promises, 'lookup', wrapper, promisesLookup);
  }

  // The c-ares channel under every Resolver: its query methods take (req, name).
  let channelProto: Any;
  try {
    const probe: Any = rConstruct(dns.Resolver, []);
    channelProto = probe._handle ? rGetProto(probe._handle) : undefined;
  } catch { /* none */ }
  if (channelProto) {
    const keys = rOwnKeys(channelProto);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (typeof k !== 'string' || StrSlice(k, 0, 5) !== 'query' || typeof channelProto[k] !== 'function') continue;
      const orig: Fn = channelProto[k];
      const wrapper = function (this: unknown, ...args: unknown[]): unknown {
        const name = args[1];
        if (typeof name === 'string' && nameRefusal(name, undefined, `ChannelWrap ${k}`, k, true)) return UV_EAI_NONAME;
        return rApply(orig, this, args);
      };
      replace(channelProto, k, wrapper, orig);
    }
  }
}

function patchDgram(): void {
  const proto = dgram.Socket.prototype as Any;
  const origRemote: Fn = proto.remoteAddress;
  const connected = (sock: Any): boolean => {
    try {
      rApply(origRemote, sock, []);
      return true;
    } catch {
      return false;
    }
  };
  const defaultHost = (sock: Any, use: 'send' | 'bind'): string => {
    const six = sock.type === 'udp6';
    return use === 'bind' ? (six ? '::' : '0.0.0.0') : (six ? '::1' : '127.0.0.1');
  };
  /** Resolve a name as the socket would, then go on with the address (or deliver a refusal). */
  const resolveThen = (sock: Any, name: string, then: (ip: string) => void, deliver: (e: unknown) => void): void => {
    const st = dgramState ? sock[dgramState] : undefined;
    const lookup: Fn | undefined = st?.handle?.lookup;
    const cb = (err: unknown, ip: unknown): void => {
      if (err) return deliver(err);
      try { then(StringCtor(ip)); } catch (e) { deliver(e); }
    };
    if (typeof lookup === 'function') rApply(lookup, st.handle, [name, cb]);
    else (dnsLookup() as Fn)(name, sock.type === 'udp6' ? 6 : 4, cb);
  };

  const origSend: Fn = proto.send;
  const sendWrapper = function (this: Any, ...a: unknown[]): unknown {
    if (!policy.network || connected(this)) return rApply(origSend, this, a);
    let port = a[3];
    let address = a[4];
    let cb = a[5];
    let addressAt = 4;
    if (!(address || (port && typeof port !== 'function'))) {
      cb = port;
      port = a[1];
      address = a[2];
      addressAt = 2;
    }
    if (typeof address === 'function') {
      cb = address;
      address = undefined;
    }
    if (address !== undefined && address !== null && typeof address !== 'string') return rApply(origSend, this, a);
    const p = portNumber(port);
    const host = (address as string) || defaultHost(this, 'send');
    if (isIP(host) !== 0) {
      const e = ipRefusal('send', host, p, 'dgram.Socket.send');
      if (e) throw e;
      return rApply(origSend, this, a);
    }
    const deliver = (e: unknown): void => {
      if (typeof cb === 'function') nextTick(cb as Fn, e);
      else this.emit('error', e);
    };
    const refusedName = nameRefusal(host, p, 'dgram.Socket.send', 'getaddrinfo');
    if (refusedName) {
      nextTick(deliver, refusedName);
      return undefined;
    }
    resolveThen(this, host, (ip) => {
      const e = ipRefusal('send', ip, p, 'dgram.Socket.send');
      if (e) return deliver(e);
      while (a.length <= addressAt) put(a, a.length, undefined);
      a[addressAt] = ip;
      rApply(origSend, this, a);
    }, deliver);
    return undefined;
  };
  replace(proto, 'send', sendWrapper, origSend);

  const origConnect: Fn = proto.connect;
  const connectWrapper = function (this: Any, ...a: unknown[]): unknown {
    if (!policy.network) return rApply(origConnect, this, a);
    let address = a[1];
    let cb = a[2];
    if (typeof address === 'function') {
      cb = address;
      address = undefined;
    }
    if (address !== undefined && typeof address !== 'string') return rApply(origConnect, this, a);
    const p = portNumber(a[0]);
    const host = (address as string) || defaultHost(this, 'send');
    if (isIP(host) !== 0) {
      const e = ipRefusal('connect', host, p, 'dgram.Socket.connect');
      if (e) throw e;
      return rApply(origConnect, this, a);
    }
    const deliver = (e: unknown): void => {
      if (typeof cb === 'function') nextTick(cb as Fn, e);
      else this.emit('error', e);
    };
    const refusedName = nameRefusal(host, p, 'dgram.Socket.connect', 'getaddrinfo');
    if (refusedName) {
      nextTick(deliver, refusedName);
      return undefined;
    }
    resolveThen(this, host, (ip) => {
      const e = ipRefusal('connect', ip, p, 'dgram.Socket.connect');
      if (e) return deliver(e);
      rApply(origConnect, this, cb === undefined ? [a[0], ip] : [a[0], ip, cb]);
    }, deliver);
    return undefined;
  };
  replace(proto, 'connect', connectWrapper, origConnect);

  const origConnectSync: Fn | undefined = proto.connectSync;
  if (typeof origConnectSync === 'function') {
    const wrapper = function (this: Any, ...a: unknown[]): unknown {
      if (policy.network) {
        const address = a[1];
        const host = typeof address === 'string' && address ? address : defaultHost(this, 'send');
        if (isIP(host) !== 0) {
          const e = ipRefusal('connect', host, portNumber(a[0]), 'dgram.Socket.connectSync');
          if (e) throw e;
        }
      }
      return rApply(origConnectSync, this, a);
    };
    replace(proto, 'connectSync', wrapper, origConnectSync);
  }

  const origBind: Fn = proto.bind;
  const bindWrapper = function (this: Any, ...a: unknown[]): unknown {
    if (!policy.network) return rApply(origBind, this, a);
    const first = a[0] as Any;
    if (first !== null && typeof first === 'object' && (typeof first.recvStart === 'function' || (typeof first.fd === 'number' && first.fd > 0))) {
      return rApply(origBind, this, a);
    }
    let port: unknown;
    let address: unknown;
    let form: 'object' | 'positional';
    if (first !== null && typeof first === 'object') {
      const copy = ownCopy(first);
      a[0] = copy;
      port = copy.port;
      address = copy.address || '';
      form = 'object';
    } else {
      port = first;
      address = typeof a[1] === 'function' ? '' : a[1];
      form = 'positional';
    }
    if (address !== undefined && address !== null && typeof address !== 'string') return rApply(origBind, this, a);
    const host = (address as string) || defaultHost(this, 'bind');
    const p = portNumber(port);
    if (isIP(host) !== 0) {
      const e = ipRefusal('bind', host, p, 'dgram.Socket.bind', true);
      if (e) throw e;
      return rApply(origBind, this, a);
    }
    resolveThen(this, host, (ip) => {
      const e = ipRefusal('bind', ip, p, 'dgram.Socket.bind', true);
      if (e) return void this.emit('error', e);
      if (form === 'object') (a[0] as Any).address = ip;
      else a[1] = ip;
      rApply(origBind, this, a);
    }, (e) => this.emit('error', e));
    return this;
  };
  replace(proto, 'bind', bindWrapper, origBind);

  const origBindSync: Fn | undefined = proto.bindSync;
  if (typeof origBindSync === 'function') {
    const wrapper = function (this: Any, ...a: unknown[]): unknown {
      if (policy.network && isObj(a[0])) {
        const copy = ownCopy(a[0]);
        a[0] = copy;
        const host = typeof copy.address === 'string' && copy.address ? copy.address : defaultHost(this, 'bind');
        if (isIP(host) !== 0) {
          const e = ipRefusal('bind', host, portNumber(copy.port ?? 0), 'dgram.Socket.bindSync', true);
          if (e) throw e;
        }
      } else if (policy.network && a.length === 0) {
        const e = ipRefusal('bind', defaultHost(this, 'bind'), 0, 'dgram.Socket.bindSync', true);
        if (e) throw e;
      }
      return rApply(origBindSync, this, a);
    };
    replace(proto, 'bindSync', wrapper, origBindSync);
  }
}

/**
 * The handles under net and dgram, as user code can reach them (socket._handle):
 * a bind, connect or send that got here unchecked is refused with UV_EACCES.
 */
function patchHandles(): void {
  if (!policy.network) return;
  const wrap = (proto: Any, name: string, check: (args: unknown[]) => Error | undefined): void => {
    if (!proto || typeof proto[name] !== 'function') return;
    const orig: Fn = proto[name];
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      if (check(args)) return UV_EACCES;
      return rApply(orig, this, args);
    };
    replace(proto, name, wrapper, orig);
  };
  const ip = (use: 'connect' | 'bind' | 'send', hostAt: number, portAt: number, api: string, ephemeralFree = false) => (args: unknown[]): Error | undefined => {
    const h = args[hostAt];
    return ipRefusal(use, typeof h === 'string' ? h : StringCtor(h), portNumber(args[portAt]), api, ephemeralFree);
  };
  for (const name of ['bind', 'bind6']) {
    wrap(tcpProto, name, ip('bind', 0, 1, `TCP handle ${name}`));
    wrap(udpProto, name, ip('bind', 0, 1, `UDP handle ${name}`, true));
  }
  for (const name of ['connect', 'connect6']) {
    wrap(tcpProto, name, ip('connect', 1, 2, `TCP handle ${name}`));
    wrap(udpProto, name, ip('connect', 0, 1, `UDP handle ${name}`));
  }
  for (const name of ['send', 'send6']) {
    // send(req, list, count, port, ip, hasCallback); connected: send(req, list, count, hasCallback).
    wrap(udpProto, name, (args) => (args.length >= 6 ? ip('send', 4, 3, `UDP handle ${name}`)(args) : undefined));
  }
  const unix = (use: 'connect' | 'bind', at: number, api: string) => (args: unknown[]): Error | undefined => {
    const p = args[at];
    return typeof p === 'string' ? unixRefusal(use, p, api) : undefined;
  };
  wrap(pipeProto, 'bind', unix('bind', 0, 'Pipe handle bind'));
  wrap(pipeProto, 'connect', unix('connect', 1, 'Pipe handle connect'));
}

// ---- native code, process.binding, workers ----
function lock(obj: Any, name: string, value: unknown): void {
  rDefine(obj, name, { value, writable: false, enumerable: true, configurable: false });
}

function patchProcess(): void {
  const dlopen: Fn = process.dlopen;
  const dlopenWrapper = function (this: unknown, ...args: unknown[]): unknown {
    const file = args[1];
    const p = toPath(file);
    if (p !== undefined) {
      const real = realOf(absolute(p), true);
      if (!matches(policy.native.any, real)) {
        gate({ __proto__: null, act: 'native', path: real }, policy.native.missing, 'process.dlopen', `native code ${real}`);
      }
    }
    return rApply(dlopen, this, args);
  };
  setName(dlopenWrapper, 'dlopen', dlopen);
  lock(process, 'dlopen', dlopenWrapper);

  // process.binding reaches internal bindings past every wrapper (spawn_sync, fs, tcp_wrap): the
  // permission model refuses all of it; without the permission model (Node < 22.13) so does this.
  const binding: Fn | undefined = (process as Any).binding;
  if (typeof binding === 'function') {
    const rule = ObjectFreeze({ __proto__: null, what: SEATBELT_RULE_WHAT, text: 'process.binding is never allowed' }) as Rule;
    const bindingWrapper = function (this: unknown, ...args: unknown[]): unknown {
      const name = typeof args[0] === 'string' ? args[0] : StringCtor(args[0]);
      gate({ __proto__: null, act: 'other', what: `process.binding('${name}')` }, rule, 'process.binding', `process.binding('${name}')`);
      return rApply(binding, this, args);
    };
    setName(bindingWrapper, 'binding', binding);
    lock(process, 'binding', bindingWrapper);
  }

  // process._debugProcess(pid) starts an inspector (in this process too); the permission model lets it.
  const debugProcess: Fn | undefined = (process as Any)._debugProcess;
  if (typeof debugProcess === 'function') {
    const rule = ObjectFreeze({ __proto__: null, what: SEATBELT_RULE_WHAT, text: 'the inspector is never allowed' }) as Rule;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      gate({ __proto__: null, act: 'other', what: 'starting the inspector' }, rule, 'process._debugProcess', 'starting the inspector');
      return rApply(debugProcess, this, args);
    };
    setName(wrapper, '_debugProcess', debugProcess);
    lock(process, '_debugProcess', wrapper);
  }
}

/**
 * Without the permission model (Node < 22.13) two more ways past every wrapper stay open: the
 * inspector (Runtime.getProperties on a wrapper's [[Scopes]] hands out the original functions) and
 * WASI (its preopens read and write files from native code). The permission model refuses both
 * (no --allow-inspector, no --allow-wasi); here the seatbelt does.
 */
function patchWithoutPermissionModel(): void {
  if ((process as Any).permission !== undefined) return;
  const rule = (text: string): Rule => ObjectFreeze({ __proto__: null, what: SEATBELT_RULE_WHAT, text }) as Rule;
  const never = (obj: Any, name: string, api: string, what: string, r: Rule): void => {
    const orig: Fn | undefined = obj?.[name];
    if (typeof orig !== 'function') return;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      gate({ __proto__: null, act: 'other', what }, r, api, what);
      return rApply(orig, this, args);
    };
    replace(obj, name, wrapper, orig);
  };
  const inspectorRule = rule('the inspector is never allowed');
  try {
    const inspector = builtin('node:inspector');
    never(inspector.Session?.prototype, 'connect', 'inspector.Session.connect', 'an inspector session', inspectorRule);
    never(inspector.Session?.prototype, 'connectToMainThread', 'inspector.Session.connectToMainThread', 'an inspector session', inspectorRule);
    never(inspector, 'open', 'inspector.open', 'starting the inspector', inspectorRule);
  } catch { /* built without the inspector */ }
  try {
    const wasi = builtin('node:wasi');
    const WASI = wasi.WASI;
    const wasiRule = rule('WASI is never allowed');
    wasi.WASI = new ProxyCtor(WASI, {
      construct(target: Any, args: unknown[], newTarget: Any) {
        gate({ __proto__: null, act: 'other', what: 'a WASI instance' }, wasiRule, 'wasi.WASI', 'a WASI instance');
        return rConstruct(target, args, newTarget);
      },
    });
  } catch { /* none */ }
}

function patchWorkers(): void {
  const wt = workerThreads as Any;
  const Worker = wt.Worker;
  if (typeof Worker !== 'function') return;
  const SHARE_ENV = wt.SHARE_ENV;
  const rule = ObjectFreeze({ __proto__: null, what: SEATBELT_RULE_WHAT, text: 'a Worker must load the seatbelt (its execArgv keeps --import of the preload)' }) as Rule;
  /** Is the seatbelt the first module the Worker preloads (a preload before it runs unguarded)? */
  const hasPreload = (argv: unknown[]): boolean => {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === `--import=${preloadURL}` || a === `--import=${preloadPath}`) return true;
      if (a === '--import') return argv[i + 1] === preloadURL || argv[i + 1] === preloadPath;
      if (typeof a === 'string' && (StrSlice(a, 0, 9) === '--import=' || StrSlice(a, 0, 10) === '--require=' || a === '--require' || a === '-r')) return false;
    }
    return false;
  };
  const evalPrefix = `process.getBuiltinModule('node:module').createRequire(${JSONStringify(preloadURL)})(${JSONStringify(preloadPath)});`;
  const wrapped = new ProxyCtor(Worker, {
    construct(target: Any, args: unknown[], newTarget: Any) {
      const options = args[1];
      if (isObj(options)) {
        const o = ownCopy(options);
        if (o.execArgv !== undefined) {
          const argv: unknown[] = [];
          const given = o.execArgv;
          if (ArrayIsArray(given)) for (let i = 0; i < given.length; i++) put(argv, i, given[i]);
          if (!ArrayIsArray(given) || !hasPreload(argv)) {
            gate({ __proto__: null, act: 'other', what: 'a Worker without the seatbelt (execArgv without its --import)' }, rule, 'worker_threads.Worker', 'a Worker without the seatbelt');
          }
          o.execArgv = ArrayIsArray(given) ? argv : given;
        }
        // An eval Worker does not run --import preloads (Node 20-26): its code loads the seatbelt first.
        if (o.eval && typeof args[0] === 'string') args[0] = evalPrefix + args[0];
        if (o.env === SHARE_ENV) restoreOwnEnv();
        else if (o.env !== undefined && o.env !== null) o.env = forcedEnv(o.env);
        else restoreOwnEnv();
        args[1] = o;
      } else {
        restoreOwnEnv();
      }
      return rConstruct(target, args, newTarget);
    },
  });
  rDefine(Worker.prototype, 'constructor', { value: wrapped, writable: true, enumerable: false, configurable: true });
  wt.Worker = wrapped;
}

// ---- install (once per thread: an eval Worker's prefix may load it after --import did) ----
const INSTALLED = Symbol.for('syscage.seatbelt.node');
if ((process as Any)[INSTALLED] !== true) {
  probeHandles();
  patchFs();
  patchChildProcess();
  patchNet();
  patchDgram();
  patchDns();
  patchHandles();
  patchWorkers();
  patchProcess();
  patchWithoutPermissionModel();
  restoreOwnEnv();
  nodeModule.syncBuiltinESMExports();
  rDefine(process, INSTALLED, { value: true, writable: false, enumerable: false, configurable: false });
}
