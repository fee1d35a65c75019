// The seatbelt column of the escape corpus (test/escapes/README.md, "The seatbelt column"): one
// attempt script per attack on the in-runtime seatbelts (lib/seatbelt: the Node.js permission
// model + preload, the Python audit hook), each run by corpus-seatbelts.test.ts without syscage
// (where it must escape) and under `syscage run` in the simulated runtime tier.
//
// Placeholders in `names`, `rules` and `why` are the world's (corpus-seatbelts.test.ts):
//   {secret} the denied file (files.deny, inside the granted tree {tree})
//   {new}    a path in {tree} (files.read only) the attempt may try to create
//   {tcp} {udp} 127.0.0.1:PORT of the counting servers; {unix} the counting UNIX socket's path
//   {koffi}  a copy of koffi.node in {ext} (readable, not in seatbelts.native)
//   {native} a directory seatbelts.native names, for the attempts that say so
//   {node} the layer's node; {pyexe} python3's real path (ctypes loads it: CDLL(None));
//   {ctypes} the interpreter's _ctypes extension; {libc} libc.so.6's real path

export type SeatbeltRuntime = 'node' | 'python';

/**
 * What reaching the attempt's goal means (the test checks it from outside where it can):
 *   secret      ESCAPED showing the denied file's content (SECRET-...)
 *   environ     ESCAPED showing the environment's mark (SB_MARK, read through /proc/self/environ)
 *   tcp, udp, unix   the counting server of that kind was reached
 *   new         {new} exists after the run (a file made where files.write does not allow)
 *   act         ESCAPED: the forbidden act itself happened (an addon loaded, a process forked...)
 *   unreported  a refusal the bootstrap never hears of: BLOCKED, and no audit event names it
 */
export type SeatbeltGoal = 'secret' | 'environ' | 'tcp' | 'udp' | 'unix' | 'new' | 'act' | 'unreported';

/** What the attempt's strict profile adds (the base: exec.allow [], process.fork: false, seatbelts.native []). */
export interface SeatbeltRules {
  readonly exec?: readonly string[];
  readonly fork?: boolean;
  readonly native?: readonly string[];
  /** Environment of both runs (AWS_LAMBDA_MAX_CONCURRENCY: the bootstrap grants Workers). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface SeatbeltAttempt {
  readonly id: string;
  readonly runtime: SeatbeltRuntime;
  /** The script, in this directory. */
  readonly script: string;
  /** What it tries, in one line. */
  readonly title: string;
  readonly goal: SeatbeltGoal;
  /** A refusal's or a kill's audit event must name one of these (in its path, address, syscall or reason). */
  readonly names: readonly string[];
  readonly rules?: SeatbeltRules;
  /** A known escape (docs/security.md, "Seatbelts": what each cannot stop): recorded as escaped with this reason, never a failure. */
  readonly known?: string;
  /** Refused without a report: who refuses it and why nothing reaches the audit log (a known gap, never a failure). */
  readonly unreported?: string;
  /** What the machine must have; the attempt is skipped, saying why, without it. */
  readonly needs?: 'cffi-backend';
}

const SECRET = ['{secret}'];
const SH = ['/bin/sh', '/usr/bin/dash', 'fork'];
const WORKERS = { env: { AWS_LAMBDA_MAX_CONCURRENCY: '2' } };

// The known holes, as docs/security.md words them, with what the attempt shows.
const NODE_RACE = 'a symlink swapped between the check and the use: the preload checks the path (and its real path) when the call is made, libuv opens it later on its threadpool';
const NODE_CARES = 'DNS through c-ares (dns.Resolver) is not checked: --allow-net is all or nothing and the preload does not wrap the resolver, so a query to any server leaves (data in the name asked for)';
const FD3_NODE = 'the handler may close or reuse its report descriptor (3): the refusal stands, but its report is lost (the preload writes it into whatever file now has descriptor 3)';
const FD3_PY = 'the handler may close or reuse its report descriptor (3): the refusal stands, but its report is lost (the hook writes only to the socket it started with, so nothing is written)';
const NODE_CHILD = 'a child node started without NODE_OPTIONS runs without the preload; the permission-model flags carry over, but they grant the whole tree (no files.deny)';
const NODE_EVAL_IMPORT = 'a Worker from eval code with static imports: they run before the preload\'s line the seatbelt puts in front of the code';
const PY_CLOSURE = 'the checking wrappers keep the originals in their __closure__: the original _posixsubprocess.fork_exec runs a program unchecked (the monitor only sees a program living past a poll)';
const PY_NO_EVENT = 'CPython raises no audit event for it';
const PY_CTYPES_CALL = 'calls through ctypes raise no audit event: once _ctypes, the interpreter and a library are allowed (seatbelts.native), libc\'s open and read are unseen (the monitor sees only a descriptor held across a poll)';
const PY_CHILD = 'a child Python runs without the hook (hooks do not survive exec): allow no interpreter in exec.allow';
const PY_SETTRACE = 'sys.settrace reaches the checking wrapper\'s frame: its argument list is changed after the check and before the original fork_exec runs';
const PM_NO_EVENT = 'the permission model refuses it itself (no --allow-inspector): Node throws ERR_ACCESS_DENIED, and nothing reports it on the channel';

export const SEATBELT_ATTEMPTS: readonly SeatbeltAttempt[] = [
  // ---- Node.js: files ----
  { id: 'node-readfilesync', runtime: 'node', script: 'node-readfilesync.mjs', title: 'fs.readFileSync of the denied file', goal: 'secret', names: SECRET },
  { id: 'node-promises-readfile', runtime: 'node', script: 'node-promises-readfile.mjs', title: 'fs.promises.readFile of the denied file', goal: 'secret', names: SECRET },
  { id: 'node-createreadstream', runtime: 'node', script: 'node-createreadstream.mjs', title: 'fs.createReadStream of the denied file', goal: 'secret', names: SECRET },
  { id: 'node-symlink-read', runtime: 'node', script: 'node-symlink-read.mjs', title: 'a symlink in /tmp to the denied file, then a read through it', goal: 'secret', names: SECRET },
  { id: 'node-hardlink-read', runtime: 'node', script: 'node-hardlink-read.mjs', title: 'a hard link in /tmp to the denied file, then a read through it', goal: 'secret', names: SECRET },
  { id: 'node-open-fd', runtime: 'node', script: 'node-open-fd.mjs', title: 'fs.openSync of the denied file, then fs.readSync by descriptor', goal: 'secret', names: SECRET },
  { id: 'node-proc-environ', runtime: 'node', script: 'node-proc-environ.mjs', title: 'read /proc/self/environ (files.deny)', goal: 'environ', names: ['/proc/self/environ'] },
  { id: 'node-proc-self-mem', runtime: 'node', script: 'node-proc-self-mem.mjs', title: 'write /proc/self/mem', goal: 'act', names: ['/mem'] },
  { id: 'node-symlink-race', runtime: 'node', script: 'node-symlink-race.mjs', title: 'a symlink swapped to the denied file between the check and the open', goal: 'secret', names: SECRET, known: NODE_RACE },
  // ---- Node.js: programs ----
  { id: 'node-spawn-sh', runtime: 'node', script: 'node-spawn-sh.mjs', title: 'child_process.spawn of /bin/sh', goal: 'secret', names: SH },
  { id: 'node-execsync', runtime: 'node', script: 'node-execsync.mjs', title: 'child_process.execSync (through /bin/sh)', goal: 'secret', names: SH },
  { id: 'node-execfilesync', runtime: 'node', script: 'node-execfilesync.mjs', title: 'child_process.execFileSync of /bin/sh', goal: 'secret', names: SH },
  { id: 'node-fork-sh', runtime: 'node', script: 'node-fork-sh.mjs', title: 'child_process.fork with execPath /bin/sh', goal: 'secret', names: SH },
  { id: 'node-execve', runtime: 'node', script: 'node-execve.mjs', title: 'process.execve of /bin/sh', goal: 'secret', names: SH },
  {
    id: 'node-child-node', runtime: 'node', script: 'node-child-node.mjs', title: 'a child node (exec.allow names node) started with env {}, reading the denied file',
    goal: 'secret', names: SECRET, rules: { exec: ['{node}'], fork: true }, known: NODE_CHILD,
  },
  // ---- Node.js: network ----
  { id: 'node-net-connect', runtime: 'node', script: 'node-net-connect.mjs', title: 'net.connect to a TCP server network.connect does not allow', goal: 'tcp', names: ['{tcp}'] },
  { id: 'node-http-get', runtime: 'node', script: 'node-http-get.mjs', title: 'http.get (no TLS) of that TCP server', goal: 'tcp', names: ['{tcp}'] },
  { id: 'node-fetch', runtime: 'node', script: 'node-fetch.mjs', title: 'fetch of that TCP server', goal: 'tcp', names: ['{tcp}'] },
  { id: 'node-dgram-send', runtime: 'node', script: 'node-dgram-send.mjs', title: 'dgram send (unconnected) to a UDP server network.connect does not allow', goal: 'udp', names: ['{udp}'] },
  { id: 'node-dns-cares', runtime: 'node', script: 'node-dns-cares.mjs', title: 'a DNS query through c-ares (dns.Resolver) to that UDP server', goal: 'udp', names: ['{udp}'], known: NODE_CARES },
  // ---- Node.js: workers, native code, the runtime itself ----
  {
    id: 'node-worker-execargv', runtime: 'node', script: 'node-worker-execargv.mjs', title: 'a Worker with execArgv: [] (no preload) reading the denied file',
    goal: 'secret', names: ['Worker', ...SECRET], rules: WORKERS,
  },
  { id: 'node-worker-eval', runtime: 'node', script: 'node-worker-eval.mjs', title: 'a Worker from eval code reading the denied file', goal: 'secret', names: SECRET, rules: WORKERS },
  {
    id: 'node-worker-eval-import', runtime: 'node', script: 'node-worker-eval-import.mjs', title: 'a Worker from eval code whose static import reads the denied file',
    goal: 'secret', names: SECRET, rules: WORKERS, known: NODE_EVAL_IMPORT,
  },
  { id: 'node-process-binding', runtime: 'node', script: 'node-process-binding.mjs', title: "process.binding('fs').readFileUtf8 of the denied file", goal: 'secret', names: ['process.binding'] },
  { id: 'node-dlopen-koffi', runtime: 'node', script: 'node-dlopen-koffi.mjs', title: 'process.dlopen of an addon seatbelts.native does not name (koffi.node), then libc open/read', goal: 'secret', names: ['{koffi}'] },
  { id: 'node-debug-process', runtime: 'node', script: 'node-debug-process.mjs', title: 'process._debugProcess of itself (the inspector)', goal: 'act', names: ['inspector'] },
  { id: 'node-inspector-open', runtime: 'node', script: 'node-inspector-open.mjs', title: 'inspector.open', goal: 'act', names: ['inspector'], unreported: PM_NO_EVENT },
  {
    id: 'node-inspector-session', runtime: 'node', script: 'node-inspector-session.mjs', title: 'an in-process inspector.Session evaluating a read of the denied file',
    goal: 'secret', names: ['inspector', ...SECRET], unreported: PM_NO_EVENT,
  },
  { id: 'node-register-hooks', runtime: 'node', script: 'node-register-hooks.mjs', title: 'module.registerHooks: the module loader reads the denied file for a load hook', goal: 'secret', names: SECRET },
  { id: 'node-vm-import', runtime: 'node', script: 'node-vm-import.mjs', title: 'a vm context (fresh intrinsics) importing node:fs and reading the denied file', goal: 'secret', names: SECRET },
  { id: 'node-proto-poison', runtime: 'node', script: 'node-proto-poison.mjs', title: 'prototype poisoning (RegExp, String, Array, Set, JSON, Function) before fs.readFileSync', goal: 'secret', names: SECRET },
  { id: 'node-fd3-reuse', runtime: 'node', script: 'node-fd3-reuse.mjs', title: 'close the report descriptor 3, reuse it for a file, then read the denied file', goal: 'unreported', names: SECRET, known: FD3_NODE },

  // ---- Python: files ----
  { id: 'py-open', runtime: 'python', script: 'py-open.py', title: 'open() of the denied file', goal: 'secret', names: SECRET },
  { id: 'py-os-open', runtime: 'python', script: 'py-os-open.py', title: 'os.open + os.read of the denied file', goal: 'secret', names: SECRET },
  { id: 'py-pathlib', runtime: 'python', script: 'py-pathlib.py', title: 'pathlib.Path.read_text of the denied file', goal: 'secret', names: SECRET },
  { id: 'py-open-code', runtime: 'python', script: 'py-open-code.py', title: 'io.open_code of the denied file', goal: 'secret', names: SECRET },
  { id: 'py-symlink', runtime: 'python', script: 'py-symlink.py', title: 'a symlink in /tmp to the denied file, then open() through it', goal: 'secret', names: SECRET },
  { id: 'py-proc-environ', runtime: 'python', script: 'py-proc-environ.py', title: 'read /proc/self/environ (files.deny)', goal: 'environ', names: ['/proc/self/environ'] },
  { id: 'py-proc-self-mem', runtime: 'python', script: 'py-proc-self-mem.py', title: 'write /proc/self/mem', goal: 'act', names: ['/mem'] },
  { id: 'py-mkfifo', runtime: 'python', script: 'py-mkfifo.py', title: 'os.mkfifo in a tree files.write does not grant', goal: 'new', names: ['{new}'], known: `${PY_NO_EVENT} (os.mkfifo), and a FIFO made is no descriptor the monitor sees` },
  { id: 'py-mknod', runtime: 'python', script: 'py-mknod.py', title: 'os.mknod of a regular file in a tree files.write does not grant', goal: 'new', names: ['{new}'], known: `${PY_NO_EVENT} (os.mknod), and a file made without a descriptor is nothing the monitor sees` },
  { id: 'py-fd3-close', runtime: 'python', script: 'py-fd3-close.py', title: 'close the report descriptor 3, reuse it for a file, then open the denied file', goal: 'unreported', names: SECRET, known: FD3_PY },
  // ---- Python: programs ----
  { id: 'py-subprocess-run', runtime: 'python', script: 'py-subprocess-run.py', title: 'subprocess.run of /bin/sh', goal: 'secret', names: SH },
  { id: 'py-os-system', runtime: 'python', script: 'py-os-system.py', title: 'os.system (through /bin/sh)', goal: 'secret', names: SH },
  { id: 'py-os-execv', runtime: 'python', script: 'py-os-execv.py', title: 'os.execv of /bin/sh', goal: 'secret', names: SH },
  { id: 'py-posix-spawn', runtime: 'python', script: 'py-posix-spawn.py', title: 'os.posix_spawn of /bin/sh', goal: 'secret', names: SH },
  { id: 'py-os-fork', runtime: 'python', script: 'py-os-fork.py', title: 'os.fork under process.fork: false', goal: 'act', names: ['fork'] },
  { id: 'py-fork-exec', runtime: 'python', script: 'py-fork-exec.py', title: '_posixsubprocess.fork_exec of /bin/sh, called directly', goal: 'secret', names: SH },
  { id: 'py-closure-original', runtime: 'python', script: 'py-closure-original.py', title: "the original fork_exec from the wrapper's __closure__, running /bin/sh", goal: 'secret', names: SH, known: PY_CLOSURE },
  {
    id: 'py-settrace-wrapper', runtime: 'python', script: 'py-settrace-wrapper.py', title: "sys.settrace rewriting the fork_exec wrapper's arguments after its check (exec.allow names /usr/bin/true)",
    goal: 'secret', names: SH, rules: { exec: ['/usr/bin/true'], fork: true }, known: PY_SETTRACE,
  },
  {
    id: 'py-child-python', runtime: 'python', script: 'py-child-python.py', title: 'a child python (exec.allow names it) reading the denied file',
    goal: 'secret', names: SECRET, rules: { exec: ['/usr/bin/python3*'], fork: true }, known: PY_CHILD,
  },
  // ---- Python: network ----
  { id: 'py-socket-connect', runtime: 'python', script: 'py-socket-connect.py', title: 'socket.connect to a TCP server network.connect does not allow', goal: 'tcp', names: ['{tcp}'] },
  { id: 'py-sendto-udp', runtime: 'python', script: 'py-sendto-udp.py', title: 'socket.sendto (unconnected UDP) to a server network.connect does not allow', goal: 'udp', names: ['{udp}'] },
  { id: 'py-unix-connect', runtime: 'python', script: 'py-unix-connect.py', title: 'AF_UNIX connect to a socket network.connect does not allow', goal: 'unix', names: ['{unix}'] },
  // ---- Python: native code and the hook itself ----
  { id: 'py-ctypes-import', runtime: 'python', script: 'py-ctypes-import.py', title: 'import ctypes (seatbelts.native [])', goal: 'act', names: ['_ctypes'] },
  {
    id: 'py-ctypes-cdll', runtime: 'python', script: 'py-ctypes-cdll.py', title: "ctypes.CDLL('libc.so.6') with _ctypes (and the interpreter ctypes loads) but not libc in seatbelts.native, then libc open/read",
    goal: 'secret', names: ['libc'], rules: { native: ['{ctypes}', '{pyexe}'] },
  },
  {
    id: 'py-ctypes-call', runtime: 'python', script: 'py-ctypes-call.py', title: 'libc open/read through ctypes with _ctypes, the interpreter and libc in seatbelts.native',
    goal: 'secret', names: SECRET, rules: { native: ['{ctypes}', '{pyexe}', '{libc}'] }, known: PY_CTYPES_CALL,
  },
  { id: 'py-cffi', runtime: 'python', script: 'py-cffi.py', title: "cffi's backend (_cffi_backend): dlopen libc, open/read the denied file", goal: 'secret', names: ['_cffi_backend'], needs: 'cffi-backend' },
  { id: 'py-subinterpreter', runtime: 'python', script: 'py-subinterpreter.py', title: 'a _xxsubinterpreters subinterpreter reading the denied file', goal: 'secret', names: ['_xxsubinterpreters'] },
  { id: 'py-native-not-allowed', runtime: 'python', script: 'py-native-not-allowed.py', title: 'an extension module (.so) copied to a readable directory seatbelts.native does not name', goal: 'act', names: ['{ext}'] },
  {
    id: 'py-native-allowed', runtime: 'python', script: 'py-native-allowed.py', title: 'a copy of _xxsubinterpreters in a directory seatbelts.native names, reading the denied file',
    goal: 'secret', names: ['_xxsubinterpreters'], rules: { native: ['{native}/**'] },
  },
  { id: 'py-gc-referrers', runtime: 'python', script: 'py-gc-referrers.py', title: "gc.get_referrers / get_objects to reach the hook and clear its functions' defaults", goal: 'secret', names: ['gc.'] },
  { id: 'py-sys-audit-replaced', runtime: 'python', script: 'py-sys-audit-replaced.py', title: 'sys.audit replaced and a swallowing hook added, then open() of the denied file', goal: 'secret', names: SECRET },
];
