# syscage seatbelt for Python: a PEP 578 audit hook, installed before any user code, that
# refuses what the profile refuses before it happens (the runtime tier's process monitor only
# sees acts after the fact).
#
#   python -I -S launcher.py [-u] [-B] (SCRIPT | -m MODULE | -c CODE) ARGS...
#
#   SYSCAGE_SEATBELT_POLICY  the policy (JSON, lib/seatbelt/types.ts SeatbeltPolicy)
#   SYSCAGE_SEATBELT_FD      the report channel: one JSON line (SeatbeltReport) per refusal,
#                            and one (SeatbeltBinding) per lookup of an allowed name
#
# -I -S keep PYTHONPATH, the user site and site (so a function's own sitecustomize) from
# running before the hook. The launcher reads the policy (invalid or missing: exit 70), installs
# the hook, then gives back what -I -S took away: PYTHONPATH, site.main() (site-packages, .pth
# files, sitecustomize, usercustomize), and the environment variables PYTHONUNBUFFERED,
# PYTHONDONTWRITEBYTECODE, PYTHONIOENCODING, PYTHONWARNINGS, PYTHONFAULTHANDLER, PYTHONSAFEPATH,
# PYTHONNOUSERSITE, PYTHONINTMAXSTRDIGITS and PYTHONPYCACHEPREFIX. Variables that only act
# while the interpreter starts (PYTHONHOME, PYTHONHASHSEED, PYTHONOPTIMIZE, PYTHONUTF8,
# PYTHONDEVMODE, PYTHONMALLOC, PYTHONVERBOSE, PYTHONINSPECT...) cannot be given back, and
# sys.flags keeps saying isolated/no_site.
#
# The events (argument layouts checked on CPython 3.8 to 3.13):
#   files     open (path, mode, flags; an int path is a descriptor: not checked; O_PATH is
#             looking, like stat: not checked), os.remove, os.rename, os.link, os.symlink,
#             os.mkdir, os.rmdir, os.chmod, os.chown, os.utime, os.truncate, os.setxattr,
#             os.removexattr (writes), os.listdir, os.scandir (reads), shutil.copyfile/copymode/
#             copystat/copytree/rmtree/move/chown/unpack_archive. A path must be allowed both as
#             written (normalised) and as its real path; /proc/PID of this process is /proc/self.
#   programs  subprocess.Popen, os.system, os.exec, os.posix_spawn, os.fork, os.forkpty, and
#             _posixsubprocess.fork_exec, which raises no event: wrapped in its module.
#   network   socket.connect, socket.bind, socket.sendto, socket.sendmsg (AF_INET, AF_INET6 with
#             names resolved and IPv4-mapped addresses matched as IPv4, AF_UNIX, abstract).
#   names     when network.connect has a 'host' entry: socket.getaddrinfo, socket.gethostbyname
#             (and _ex), socket.gethostbyaddr, and the names in the addresses of the events
#             above. A name (as C sends it: lower-cased, without its final dot; an address,
#             inet_aton's forms included, is not a name) that no 'host' entry matches is refused
#             before it is looked up: socket.gaierror EAI_NONAME and a 'resolve' report (for a
#             connect or a send the entry's ports must cover the port too). What a lookup of an
#             allowed name returns is bound to it for BINDING_FLOOR_S with the matching entries'
#             ports: an address is reachable when an 'ip' entry allows it, when it is in
#             policy.always, or through a name it is bound to; each such lookup is written on the
#             channel ('resolved') for the process monitor. The hook sees no lookup's answer, so
#             the lookup functions are wrapped (in _socket: socket.getaddrinfo calls
#             _socket.getaddrinfo) to bind it; and C looks up a name in an address before it
#             raises socket.connect/sendto/sendmsg/bind, so socket.socket's connect, connect_ex,
#             sendto, sendmsg and bind are wrapped to refuse the name first (a call of
#             _socket.socket's own method is refused at the event, after the lookup).
#   native    import (an extension module's file outside the interpreter's own standard
#             library; _ctypes and _cffi_backend wherever they are), ctypes.dlopen.
#   refused   subinterpreter and test modules, gc.get_referrers/get_referents/get_objects,
#             changing __code__/__defaults__ of the hook's functions, writing /proc/*/mem.
# os.open(name, dir_fd=FD) is turned into an open of /proc/self/fd/FD/name (the open event has
# no dir_fd), and _imp.create_builtin/create_dynamic are wrapped so that a fresh copy of
# _posixsubprocess cannot be made and an extension module's file is read once.
#
# Audit hooks are not a sandbox (PEP 578): they are a seat belt for code that is not trying to
# escape. Within that, the hook's state is kept out of reach: the functions the hook runs use
# no globals and no closures (every name is a parameter with a default: tuples, frozensets,
# compiled patterns, builtin functions), setting __code__/__defaults__ on them is refused, the
# gc functions that find objects are refused, and so are ctypes, cffi and other native code
# the profile does not name, and subinterpreters (which run without the hook). The wrappers
# are ordinary functions: their closures hold the originals (docs/security.md lists the holes).
# One piece of the hook's state changes as it runs: the table of names' addresses, a dict in
# the defaults of the functions that read it (readable through __defaults__, not settable).
import sys

_EXIT_SETUP = 70


def _die(message):
    try:
        sys.stderr.write('syscage: seatbelt: ' + message + '\n')
        sys.stderr.flush()
    finally:
        import os
        os._exit(_EXIT_SETUP)


if sys.version_info < (3, 8):
    _die('Python %d.%d has no audit hooks (3.8 or later is needed)' % sys.version_info[:2])

import errno
import io
import json
import os
import posix
import re
import _imp
import _socket

try:
    from _json import encode_basestring_ascii as _json_str
except ImportError:  # a build without the C accelerator
    _json_str = None

POLICY_ENV = 'SYSCAGE_SEATBELT_POLICY'
CHANNEL_ENV = 'SYSCAGE_SEATBELT_FD'
# How long a lookup's answer binds its addresses to the name (types.ts BINDING_FLOOR_S).
BINDING_FLOOR_S = 300
_LAUNCHER = os.path.abspath(__file__)

# Modules refused whatever the profile says: code in a subinterpreter runs without this hook,
# and the test modules can start one (and write raw memory).
_SUBINTERPRETER_MODULES = frozenset((
    '_xxsubinterpreters', '_xxinterpchannels', '_xxinterpqueues', '_interpreters',
    '_interpchannels', '_interpqueues', '_testcapi', '_testinternalcapi', '_testlimitedcapi',
))
# Foreign-function interfaces: refused unless policy.native names their file.
_FFI_MODULES = frozenset(('_ctypes', '_cffi_backend'))
# A second copy of _posixsubprocess would carry an unwrapped fork_exec.
_WRAPPED_MODULES = frozenset(('_posixsubprocess',))


# ---------------------------------------------------------------------------------------------
# The policy

class _Invalid(Exception):
    pass


def _want(cond, where, what):
    if not cond:
        raise _Invalid('%s %s' % (where, what))


def _is_str(v):
    return type(v) is str


def _rule(v, where):
    _want(type(v) is dict, where, 'must be an object')
    what = v.get('what')
    _want(_is_str(what) and what != '', where + '.what', 'must be a non-empty string')
    text = v.get('text')
    loc = v.get('loc')
    _want(text is None or _is_str(text), where + '.text', 'must be a string')
    _want(loc is None or _is_str(loc), where + '.loc', 'must be a string')
    shown = what
    fields = '{"what":' + _enc(what)
    if text:
        shown += ' ' + text
    if text is not None:
        fields += ',"text":' + _enc(text)
    if loc:
        shown += ' (' + loc + ')'
    if loc is not None:
        fields += ',"loc":' + _enc(loc)
    return (shown, fields + '}')


def _regex(source, where):
    _want(_is_str(source), where, 'must be a string')
    try:
        return re.compile(source, re.DOTALL)
    except (re.error, ValueError, OverflowError, RecursionError) as e:
        raise _Invalid('%s is not a regular expression Python accepts: %s' % (where, e))


_NEVER = re.compile('(?!)')


def _globs(v, where):
    """A PolicyGlobList -> (any, entries, missing): `any` the fullmatch of one pattern for the
    whole list, entries ((fullmatch, rule), ...) to name the entry that matched."""
    _want(type(v) is dict, where, 'must be an object')
    entries = v.get('entries')
    _want(type(entries) is list, where + '.entries', 'must be a list')
    out = []
    sources = []
    for i, e in enumerate(entries):
        at = '%s.entries[%d]' % (where, i)
        _want(type(e) is dict, at, 'must be an object')
        out.append((_regex(e.get('re'), at + '.re').fullmatch, _rule(e, at)))
        sources.append('(?:' + e['re'] + ')')
    whole = _regex('|'.join(sources), where) if sources else _NEVER
    return (whole.fullmatch, tuple(out), _rule(v.get('missing'), where + '.missing'))


_MAX128 = (1 << 128) - 1


def _ports(e, at):
    ports = []
    for k in ('portLo', 'portHi'):
        n = e.get(k)
        _want(type(n) is int and 0 <= n <= 65535, at + '.' + k, 'must be a port 0-65535')
        ports.append(n)
    _want(ports[0] <= ports[1], at, 'has portLo > portHi')
    return ports


def _addresses(v, where):
    """A PolicyAddressList -> (ip, unix, abstract, missing, host): ip ((family, lo, hi, portLo,
    portHi, rule), ...); unix and abstract as glob lists ((fullmatch, rule), ...); host ((fullmatch,
    portLo, portHi, rule), ...), the 'host' entries (names), in the order written."""
    _want(type(v) is dict, where, 'must be an object')
    entries = v.get('entries')
    _want(type(entries) is list, where + '.entries', 'must be a list')
    ip, unix, abstract, host = [], [], [], []
    for i, e in enumerate(entries):
        at = '%s.entries[%d]' % (where, i)
        _want(type(e) is dict, at, 'must be an object')
        rule = _rule(e, at)
        kind = e.get('kind')
        if kind == 'ip':
            family = e.get('family')
            _want(family in (0, 4, 6) and type(family) is int, at + '.family', 'must be 0, 4 or 6')
            bounds = []
            for k in ('lo', 'hi'):
                n = e.get(k)
                _want(_is_str(n) and re.fullmatch('[0-9]{1,39}', n) is not None, at + '.' + k,
                      'must be a decimal string')
                bounds.append(int(n))
            top = 0xffffffff if family == 4 else _MAX128
            _want(bounds[0] <= bounds[1] <= top, at, 'has lo > hi or an address out of range')
            ports = _ports(e, at)
            ip.append((family, bounds[0], bounds[1], ports[0], ports[1], rule))
        elif kind == 'unix':
            ab = e.get('abstract')
            _want(type(ab) is bool, at + '.abstract', 'must be true or false')
            (abstract if ab else unix).append((_regex(e.get('re'), at + '.re').fullmatch, rule))
        elif kind == 'host':
            match = _regex(e.get('re'), at + '.re').fullmatch
            ports = _ports(e, at)
            host.append((match, ports[0], ports[1], rule))
        else:
            raise _Invalid(at + '.kind must be "ip", "host" or "unix"')
    return (tuple(ip), tuple(unix), tuple(abstract), _rule(v.get('missing'), where + '.missing'),
            tuple(host))


def _always(v):
    """policy.always -> frozenset of (4|6, address, port), ('unix', path), ('abstract', name)."""
    _want(type(v) is list, 'always', 'must be a list')
    out = set()
    for i, s in enumerate(v):
        at = 'always[%d]' % i
        _want(_is_str(s), at, 'must be a string')
        if s.startswith('unix:@'):
            out.add(('abstract', s[6:]))
            continue
        if s.startswith('unix:/'):
            out.add(('unix', _normpath(s[5:])))
            continue
        m = re.fullmatch(r'(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})', s)
        _want(m is not None, at, '"%s" must be IPv4:PORT, [IPv6]:PORT or unix:PATH' % s)
        port = int(m.group(3))
        _want(port <= 65535, at, 'has a port out of range')
        try:
            if m.group(2) is not None:
                out.add((4, int.from_bytes(_socket.inet_pton(_socket.AF_INET, m.group(2)), 'big'), port))
            else:
                n = int.from_bytes(_socket.inet_pton(_socket.AF_INET6, m.group(1)), 'big')
                out.add((4, n & 0xffffffff, port) if n >> 32 == 0xffff else (6, n, port))
        except (OSError, ValueError):
            raise _Invalid('%s "%s" is not an address' % (at, s))
    return frozenset(out)


def _normpath(p):
    out = []
    for seg in p.split('/'):
        if seg == '' or seg == '.':
            continue
        if seg == '..':
            if out:
                out.pop()
        else:
            out.append(seg)
    return '/' + '/'.join(out)


def _load_policy():
    text = os.environ.get(POLICY_ENV)
    if text is None:
        _die(POLICY_ENV + ' is not set (refusing to run without a policy)')
    try:
        raw = json.loads(text)
    except ValueError as e:
        _die('%s is not JSON: %s' % (POLICY_ENV, e))
    try:
        _want(type(raw) is dict, 'the policy', 'must be an object')
        _want(raw.get('version') == 1 and type(raw.get('version')) is int, 'version', 'must be 1')
        _want(_is_str(raw.get('profile')), 'profile', 'must be a string')
        _want(type(raw.get('enforce')) is bool, 'enforce', 'must be true or false')
        _want(raw.get('violation') in ('deny', 'kill'), 'violation', 'must be "deny" or "kill"')
        files = raw.get('files')
        if files is not None:
            _want(type(files) is dict, 'files', 'must be an object')
            read = _globs(files.get('read'), 'files.read')
            write = _globs(files.get('write'), 'files.write')
            deny = _globs(files.get('deny'), 'files.deny')
            rs = [e['re'] for e in files['read']['entries']] + [e['re'] for e in files['write']['entries']]
            readable = _regex('|'.join('(?:' + s + ')' for s in rs), 'files.read') if rs else _NEVER
            files = (readable.fullmatch, read, write, deny)
        execs = raw.get('exec')
        if execs is not None:
            _want(type(execs) is dict, 'exec', 'must be an object')
            execs = _globs(execs.get('allow'), 'exec.allow')
            loc = raw['exec']['allow']['missing'].get('loc')
            execs += (_rule(dict({'what': 'exec.allow', 'text': 'a program os.posix_spawnp finds along PATH '
                                  '(the C environment\'s, which os.putenv can change) cannot be checked: name it by its path'},
                                 **({'loc': loc} if _is_str(loc) else {})), 'exec.allow.missing'),)
        fork = raw.get('fork')
        _want(type(fork) is dict and type(fork.get('allowed')) is bool, 'fork.allowed', 'must be true or false')
        fork = (fork['allowed'], _rule(fork.get('rule'), 'fork.rule'))
        network = raw.get('network')
        if network is not None:
            _want(type(network) is dict, 'network', 'must be an object')
            network = (_addresses(network.get('connect'), 'network.connect'),
                       _addresses(network.get('bind'), 'network.bind'))
        always = _always(raw.get('always'))
        native = _globs(raw.get('native'), 'native')
    except _Invalid as e:
        _die('invalid policy in %s: %s' % (POLICY_ENV, e))
    return (raw['enforce'], files, execs, fork, network, always, native)


def _enc(s):
    if _json_str is not None:
        return _json_str(s)
    return json.dumps(s)


# ---------------------------------------------------------------------------------------------
# The hook. _seatbelt builds the functions it runs. None of them reads a global or a closure
# cell: every name they use is a parameter whose default is bound here, so nothing the handler
# can reach changes what they decide (tests check this with dis).

def _seatbelt(P, C):
    ENFORCE, FILES, EXEC, FORK, NETWORK, ALWAYS, NATIVE = P
    (CHANNEL, CHANNEL_ID, EXE, STDLIB, DYNLOAD, SUBPROCESS_PY, ENV_DATA, LD_DIRS,
     BUILTINS, SOURCE) = C

    _type, _str, _bytes, _int, _len, _id = type, str, bytes, int, len, id
    _issub, _tuple, _list = issubclass, tuple, list
    _sget, _bdecode, _sencode = str.__getitem__, bytes.decode, str.encode
    _tget, _tlen, _lget, _llen = tuple.__getitem__, tuple.__len__, list.__getitem__, list.__len__
    _dget, _dict = dict.get, dict
    _ALL = slice(None)
    _OSError, _ValueError, _PermissionError = OSError, ValueError, PermissionError
    _EACCES = errno.EACCES
    _lstat, _stat, _readlink, _getcwd = posix.lstat, posix.stat, posix.readlink, posix.getcwd
    _access, _getpid, _write, _fstat = posix.access, posix.getpid, posix.write, posix.fstat
    _X_OK = posix.X_OK
    _open, _close, _OPATH = posix.open, posix.close, posix.O_PATH | posix.O_CLOEXEC
    _MISSING = (errno.ENOENT, errno.ENOTDIR)
    import _thread
    _tid = getattr(_thread, 'get_native_id', _thread.get_ident)
    _DirEntry = posix.DirEntry
    _dfspath = posix.DirEntry.__fspath__
    _bytearray, _memoryview = bytearray, memoryview
    _FSENC, _FSERR = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    _getframe = sys._getframe
    _inet_pton, _inet_ntop, _getaddrinfo = _socket.inet_pton, _socket.inet_ntop, _socket.getaddrinfo
    _from_bytes = int.from_bytes
    _index = int.__index__
    _family = _socket.socket.__dict__['family'].__get__
    AF_INET, AF_INET6, AF_UNIX = _socket.AF_INET, _socket.AF_INET6, _socket.AF_UNIX
    AF_NETLINK = getattr(_socket, 'AF_NETLINK', -1)
    _enc = _json_str if _json_str is not None else json.encoder.py_encode_basestring_ascii
    _FDRE = re.compile(r'(/(?:proc/(?:self|thread-self|[0-9]+)(?:/task/[0-9]+)?/fd|dev/fd)/[0-9]+)(/.*)?',
                       re.DOTALL).fullmatch
    _MEMRE = re.compile(r'/proc/(?:self|thread-self|[0-9]+)(?:/task/[0-9]+)?/mem').fullmatch
    _ODD = re.compile(r'//|/\.\.?(?:/|\Z)').search  # what normalising would change
    _WMASK = posix.O_WRONLY | posix.O_RDWR | posix.O_CREAT | posix.O_TRUNC | posix.O_APPEND
    _IFMT, _IFLNK, _IFREG = 0o170000, 0o120000, 0o100000
    OTHER_RULE = lambda text: ('seatbelts ' + text, '{"what":"seatbelts","text":' + _enc(text) + '}')  # noqa: E731
    R_SUBINTERP = OTHER_RULE('a subinterpreter runs without the audit hook')
    R_TESTMOD = OTHER_RULE('a test module can start a subinterpreter and write raw memory')
    R_WRAPPED = OTHER_RULE('a second copy of _posixsubprocess would start programs unchecked')
    R_GC = OTHER_RULE("it can reach the seatbelt's state")
    R_SELF = OTHER_RULE('the seatbelt cannot be changed')
    R_MEM = OTHER_RULE('writing process memory would remove the seatbelt')
    R_UNCHECKED = OTHER_RULE('an argument the seatbelt cannot read')
    SUBINTERP, FFI, WRAPPED = _SUBINTERPRETER_MODULES, _FFI_MODULES, _WRAPPED_MODULES
    TESTMODS = frozenset(('_testcapi', '_testinternalcapi', '_testlimitedcapi'))
    FORK_OK, FORK_RULE = FORK
    # Names: governed when network.connect has a 'host' entry. BOUND is the one thing the hook
    # changes: the addresses a lookup of an allowed name returned, bound to the name for FLOOR
    # seconds with the ports of the entries that match the name.
    HOSTS = NETWORK[0][4] if NETWORK is not None else ()
    NAME_MISSING = NETWORK[0][3] if NETWORK is not None else None
    BOUND = {}  # (4|6, address as an int) -> {name: (deadline (monotonic), ((portLo, portHi), ...))}
    SWEEP = [4096]  # when BOUND is this big, bindings past their deadline are swept out
    FLOOR = BINDING_FLOOR_S
    import time
    _monotonic = time.monotonic
    _gaierror, _EAI_NONAME, _inet_aton = _socket.gaierror, _socket.EAI_NONAME, _socket.inet_aton
    _blower, _bget, _baget = bytes.lower, bytes.__getitem__, bytearray.__getitem__
    _ditems, _dpop, _sorted = dict.items, dict.pop, sorted
    _UnicodeError = UnicodeError
    # What inet_aton reads as an IPv4 address ("127.1", "0x7f.0.0.1", "2130706433"): getaddrinfo
    # takes these as numbers too, without asking a resolver.
    _ATON = re.compile(r'(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+)){0,3}').fullmatch

    # ---- values --------------------------------------------------------------------------

    def tostr(x, _type=_type, _str=_str, _bytes=_bytes, _issub=_issub, _sget=_sget, _ALL=_ALL,
              _bdecode=_bdecode, _FSENC=_FSENC, _FSERR=_FSERR, _DirEntry=_DirEntry,
              _dfspath=_dfspath, _bytearray=_bytearray, _memoryview=_memoryview):
        """The text of a path as C used it, without running any code of the handler's
        (a str or bytes subclass is read through the base type); None for anything else."""
        t = _type(x)
        if t is _str:
            return x
        if t is _bytes:
            return _bdecode(x, _FSENC, _FSERR)
        if _issub(t, _str):
            return _sget(x, _ALL)
        if _issub(t, _bytes):
            return _bdecode(x, _FSENC, _FSERR)
        if t is _DirEntry:
            x = _dfspath(x)
            return x if _type(x) is _str else _bdecode(x, _FSENC, _FSERR)
        if t is _bytearray or t is _memoryview:
            return _bdecode(_bytes(x), _FSENC, _FSERR)
        return None

    def norm(p, _len=_len, _ODD=_ODD):
        """Lexically normalise an absolute path (lib/profile/glob.ts normalizePath)."""
        if _ODD(p) is None and (_len(p) == 1 or p[-1] != '/'):
            return p
        out = []
        for seg in p.split('/'):
            if seg == '' or seg == '.':
                continue
            if seg == '..':
                if out:
                    out.pop()
            else:
                out.append(seg)
        return '/' + '/'.join(out)

    def absolute(p, dir_fd, _readlink=_readlink, _getcwd=_getcwd, _OSError=_OSError, _str=_str):
        """p made absolute, not normalised: against dir_fd (>= 0) or the working directory."""
        if p[:1] == '/':
            return p
        try:
            if dir_fd is not None and dir_fd >= 0:
                base = _readlink('/proc/self/fd/' + _str(dir_fd))
            else:
                base = _getcwd()
        except _OSError:
            try:
                base = _readlink('/proc/self/cwd') if dir_fd is None or dir_fd < 0 else ''
            except _OSError:
                base = ''
        if base[:1] != '/':
            base = '/?unresolvable'
        return base + '/' + p

    def fdsub(lex, _FDRE=_FDRE, _readlink=_readlink, _OSError=_OSError, norm=norm):
        """/proc/self/fd/N/... and /dev/fd/N/...: the path is what the descriptor names."""
        if lex[:6] != '/proc/' and lex[:8] != '/dev/fd/':
            return lex
        m = _FDRE(lex)
        if m is None:
            return lex
        try:
            target = _readlink(m.group(1))
        except _OSError:
            return lex
        if target[:1] != '/':
            return lex
        return norm(target + (m.group(2) or ''))

    def walk(p, follow, _lstat=_lstat, _readlink=_readlink, _OSError=_OSError,
             _IFMT=_IFMT, _IFLNK=_IFLNK):
        """realpath, one lstat per component (when /proc cannot tell)."""
        todo = p.split('/')
        todo.reverse()
        out = ''
        links = 0
        missing = False
        while todo:
            seg = todo.pop()
            if seg == '' or seg == '.':
                continue
            if seg == '..':
                out = out[:out.rfind('/')] if out else ''
                continue
            cand = out + '/' + seg
            if missing or (not follow and not todo):
                out = cand
                continue
            try:
                mode = _lstat(cand).st_mode
            except _OSError:
                missing = True
                out = cand
                continue
            if mode & _IFMT == _IFLNK:
                links += 1
                if links > 40:
                    return None
                try:
                    target = _readlink(cand)
                except _OSError:
                    return None
                if target[:1] == '/':
                    out = ''
                more = target.split('/')
                more.reverse()
                todo += more
            else:
                out = cand
        return out or '/'

    def own(p, _getpid=_getpid, _tid=_tid, _str=_str, _len=_len):
        """/proc/thread-self and this process's /proc/PID are matched and shown as /proc/self
        (as the supervisor does: a profile grants /proc/self/** without every process's)."""
        if p[:6] != '/proc/':
            return p
        if p[:17] == '/proc/thread-self' and (_len(p) == 17 or p[17] == '/'):
            return '/proc/self/task/' + _str(_tid()) + p[17:]
        mine = '/proc/' + _str(_getpid())
        n = _len(mine)
        if p[:n] == mine and (_len(p) == n or p[n] == '/'):
            return '/proc/self' + p[n:]
        return p

    def realpath(p, follow, _open=_open, _close=_close, _readlink=_readlink, _str=_str,
                 _OSError=_OSError, _FOLLOW=_OPATH, _NOFOLLOW=_OPATH | posix.O_NOFOLLOW,
                 _DIR=_OPATH | posix.O_DIRECTORY, _MISSING=_MISSING, walk=walk):
        """The real path of an absolute path: symbolic links resolved through the part that
        exists, the rest appended as written. follow False: the last component is not
        followed (remove, rename, mkdir...). None: too many links. An O_PATH descriptor and
        /proc/self/fd tell it in three system calls (an O_PATH open reads, writes and creates
        nothing: the hook lets it through unchecked); else one lstat per component."""
        rest = ''
        try:
            fd = _open(p, _FOLLOW if follow else _NOFOLLOW)
        except _OSError as e:
            if e.errno not in _MISSING:
                return walk(p, follow)
            # Most often only the last component is missing (a file about to be created).
            head, _, tail = p.rpartition('/')
            if tail == '' or tail == '.' or tail == '..' or '/' not in p:
                return walk(p, follow)
            try:
                fd = _open(head or '/', _DIR)
            except _OSError:
                return walk(p, follow)
            rest = '/' + tail
        try:
            real = _readlink('/proc/self/fd/' + _str(fd))
        except _OSError:
            real = ''
        finally:
            _close(fd)
        if real[:1] != '/' or real[-10:] == ' (deleted)':
            return walk(p, follow)
        return (real if real != '/' or not rest else '') + rest

    # ---- refusing --------------------------------------------------------------------------

    def report(line, CHANNEL=CHANNEL, CHANNEL_ID=CHANNEL_ID, _fstat=_fstat, _write=_write,
               _OSError=_OSError, _sencode=_sencode, _len=_len):
        """One line on the report channel, if it is still the socket it was at start."""
        if CHANNEL < 0:
            return
        try:
            st = _fstat(CHANNEL)
            if st.st_ino != CHANNEL_ID[1] or st.st_dev != CHANNEL_ID[0]:
                return
            data = _sencode(line, 'ascii', 'backslashreplace')
            while data:
                n = _write(CHANNEL, data)
                data = data[n:]
        except _OSError:
            return

    def refuse(act, what, rule, api, ENFORCE=ENFORCE, report=report, _enc=_enc, _str=_str,
               _getpid=_getpid, _PermissionError=_PermissionError, _EACCES=_EACCES):
        """Report the act; under enforce, refuse it. act: the act's JSON fields, opened."""
        report(act + ',"pid":' + _str(_getpid()) + ',"runtime":"python","rule":' + rule[1]
               + ',"api":' + _enc(api) + '}\n')
        if ENFORCE:
            raise _PermissionError(_EACCES, 'syscage: refused ' + what + ': ' + rule[0])

    def refuse_other(what, rule, api, refuse=refuse, _enc=_enc):
        refuse('{"act":"other","what":' + _enc(what), what, rule, api)

    def first(entries, p):
        for match, rule in entries:
            if match(p) is not None:
                return rule
        return None

    # ---- files -----------------------------------------------------------------------------

    def file_rule(p, write, FILES=FILES, first=first, SOURCE=SOURCE):
        """The rule that refuses access to p, or None. The launcher's own source is readable:
        a traceback through the hook's frames shows its lines."""
        readable, read, write_, deny = FILES
        if deny[0](p) is not None:
            return first(deny[1], p) or deny[2]
        if write:
            return None if write_[0](p) is not None else write_[2]
        return None if readable(p) is not None or p in SOURCE else read[2]

    def check_path(api, write, p, dir_fd, follow, FILES=FILES, absolute=absolute, norm=norm,
                   fdsub=fdsub, realpath=realpath, own=own, file_rule=file_rule, refuse=refuse,
                   _enc=_enc, _MEMRE=_MEMRE, R_MEM=R_MEM):
        """p: the text of a path (str) as the handler gave it."""
        a = absolute(p, dir_fd)
        lex = own(fdsub(norm(a)))
        access = 'write' if write else 'read'
        if FILES is not None:
            rule = file_rule(lex, write)
            if rule is not None:
                return refuse('{"act":"open","path":' + _enc(lex) + ',"access":"' + access + '"',
                              access + ' of ' + lex, rule, api)
        elif not write:
            return
        real = realpath(a, follow)
        if real is None:
            real = lex + ' (too many symbolic links)'
        real = own(real)
        if FILES is not None and real != lex:
            rule = file_rule(real, write)
            if rule is not None:
                return refuse('{"act":"open","path":' + _enc(real) + ',"access":"' + access + '"',
                              access + ' of ' + real, rule, api)
        if write and (_MEMRE(lex) is not None or _MEMRE(real) is not None):
            refuse('{"act":"open","path":' + _enc(real) + ',"access":"write"',
                   'write of ' + real, R_MEM, api)

    def check_any(api, write, x, dir_fd, follow, tostr=tostr, check_path=check_path,
                  refuse_other=refuse_other, R_UNCHECKED=R_UNCHECKED):
        p = tostr(x)
        if p is None:
            return refuse_other(api + ' with an argument of an unknown type', R_UNCHECKED, api)
        return check_path(api, write, p, dir_fd, follow)

    def check_fd(api, fd, _readlink=_readlink, _OSError=_OSError, _str=_str, check_path=check_path):
        """A change made through a descriptor (fchmod, fchown, futimes): the file it names."""
        try:
            p = _readlink('/proc/self/fd/' + _str(fd))
        except _OSError:
            return
        if p[:1] == '/' and p[-10:] != ' (deleted)':
            check_path(api, True, p, None, True)

    def on_open(args, FILES=FILES, ENFORCE=ENFORCE, _type=_type, _str=_str, _int=_int,
                _issub=_issub, _WMASK=_WMASK, _OPATH=posix.O_PATH, _PermissionError=_PermissionError,
                _EACCES=_EACCES, tostr=tostr, check_path=check_path, refuse_other=refuse_other,
                absolute=absolute, norm=norm, fdsub=fdsub, own=own, file_rule=file_rule,
                R_UNCHECKED=R_UNCHECKED):
        path, mode, flags = args
        if flags & _OPATH:
            return  # an O_PATH descriptor reads, writes and creates nothing: looking, like stat
        t = _type(path)
        if t is not _str:
            if _issub(t, _int):
                return  # a descriptor: its path was checked when it was opened
            path = tostr(path)
            if path is None:
                return refuse_other('open of an object of an unknown type', R_UNCHECKED, 'open')
        write = (flags & _WMASK) != 0 or (mode is not None and (
            'w' in mode or 'a' in mode or 'x' in mode or '+' in mode))
        if FILES is None and not write:
            return
        if not write and path[-1:] == '>' and path.rpartition('/')[2][:1] == '<':
            # "<string>", "<frozen runpy>": a traceback printer looking for the source of code
            # compiled from a string (in the working directory, along sys.path). Not a file
            # anyone means: refused as usual where not granted, but not reported.
            lex = own(fdsub(norm(absolute(path, None))))
            rule = file_rule(lex, False)
            if rule is not None:
                if ENFORCE:
                    raise _PermissionError(_EACCES, 'syscage: refused read of ' + lex + ': ' + rule[0])
                return
        check_path('open', write, path, None, True)

    def file_event(api, spec, _tget=_tget, _tlen=_tlen, _type=_type, _int=_int, _issub=_issub,
                   check_any=check_any, check_fd=check_fd):
        """spec: ((path index, dir_fd index or -1, write, follow, descriptor allowed), ...)"""
        def handler(args, api=api, spec=spec, _tget=_tget, _tlen=_tlen, _type=_type,
                    _int=_int, _issub=_issub, check_any=check_any, check_fd=check_fd):
            n = _tlen(args)
            for at, fd_at, write, follow, by_fd in spec:
                if at >= n:
                    continue
                x = _tget(args, at)
                if x is None:
                    if by_fd == 'cwd':
                        check_any(api, write, '.', None, follow)
                    continue
                if _issub(_type(x), _int):
                    if by_fd is True:
                        check_fd(api, x)
                    continue
                dir_fd = _tget(args, fd_at) if 0 <= fd_at < n else None
                if dir_fd is not None and not _issub(_type(dir_fd), _int):
                    dir_fd = None
                check_any(api, write, x, dir_fd, follow)
        return handler

    def shutil_event(api, spec, _tget=_tget, _tlen=_tlen, _type=_type, _int=_int, tostr=tostr,
                     check_path=check_path):
        """shutil's own events (raised from Python): checked when their paths are plain text,
        else left to the os and open events that follow. spec: ((path index, write, follow,
        dir_fd index or -1), ...)"""
        def handler(args, api=api, spec=spec, _tget=_tget, _tlen=_tlen, _type=_type, _int=_int,
                    tostr=tostr, check_path=check_path):
            n = _tlen(args)
            for at, write, follow, fd_at in spec:
                if at < n:
                    p = tostr(_tget(args, at))
                    if p is not None:
                        fd = _tget(args, fd_at) if 0 <= fd_at < n else None
                        check_path(api, write, p, fd if _type(fd) is _int else None, follow)
        return handler

    # ---- processes -------------------------------------------------------------------------

    def check_fork(api, FORK_OK=FORK_OK, FORK_RULE=FORK_RULE, refuse=refuse):
        if not FORK_OK:
            refuse('{"act":"fork"', 'a new process', FORK_RULE, api)
            return False
        return True

    def argv_json(argv, _type=_type, _issub=_issub, _list=_list, _tuple=_tuple, _lget=_lget,
                  _llen=_llen, _tget=_tget, _tlen=_tlen, tostr=tostr, _enc=_enc, _len=_len):
        if _issub(_type(argv), _list):
            n, get = _llen(argv), _lget
        elif _issub(_type(argv), _tuple):
            n, get = _tlen(argv), _tget
        else:
            return ''
        out = []
        size = 0
        i = 0
        while i < n and i < 256 and size < 16384:  # a report line stays under 64 KiB
            s = tostr(get(argv, i))
            s = _enc('?' if s is None else s)
            size += _len(s)
            out.append(s)
            i += 1
        return ',"argv":[' + ','.join(out) + ']'

    def candidates(name, base, path_var, search, absolute=absolute):
        """The files an exec of `name` may run, in the order tried. base: the directory the
        child runs in (None: ours); path_var: PATH, searched when the name has no slash."""
        if base is not None:
            base = absolute(base, None)
        if '/' in name or not search:
            return (name if name[:1] == '/' else absolute(name, None) if base is None else base + '/' + name,)
        out = []
        for d in (path_var if path_var is not None else '/bin:/usr/bin').split(':'):
            c = d + '/' + name if d else name
            if c[:1] != '/':
                c = absolute(c, None) if base is None else base + '/' + c
            out.append(c)
        return out

    def check_program(api, cands, argv, EXEC=EXEC, _stat=_stat, _access=_access, _X_OK=_X_OK,
                      _OSError=_OSError, _IFMT=_IFMT, _IFREG=_IFREG, norm=norm, fdsub=fdsub,
                      realpath=realpath, own=own, refuse=refuse, _enc=_enc, argv_json=argv_json):
        """Each candidate that exists, up to the one that will run: its path and its real path
        must both be in exec.allow. None that exists: allowed (the exec fails: ENOENT)."""
        if EXEC is None:
            return
        allow, missing = EXEC[0], EXEC[2]
        for a in cands:
            try:
                mode = _stat(a).st_mode
            except _OSError:
                continue
            lex = own(fdsub(norm(a)))
            real = realpath(a, True)
            real = real if real is None else own(real)
            for p in (lex, real):
                if p is None or allow(p) is None:
                    p = lex if p is None else p
                    return refuse('{"act":"exec","path":' + _enc(p) + argv_json(argv),
                                  'exec of ' + p, missing, api)
            if mode & _IFMT == _IFREG and _access(a, _X_OK):
                return

    def caller_is_subprocess(depth, SUBPROCESS_PY=SUBPROCESS_PY, _getframe=_getframe,
                             _ValueError=_ValueError):
        try:
            code = _getframe(depth + 1).f_code
        except _ValueError:
            return False
        return code.co_filename == SUBPROCESS_PY and code.co_name in ('_execute_child', '_posix_spawn')

    def env_path(env, ENV_DATA=ENV_DATA, _type=_type, _dict=_dict, _dget=_dget, tostr=tostr):
        """PATH from a child's environment (None: ours, as os.environ holds it)."""
        if env is None:
            v = _dget(ENV_DATA, b'PATH') if _type(ENV_DATA) is _dict else None
            if v is None:
                v = _dget(ENV_DATA, 'PATH') if _type(ENV_DATA) is _dict else None
            return tostr(v) if v is not None else None
        if _type(env) is not _dict:
            return False
        v = _dget(env, 'PATH')
        if v is None:
            v = _dget(env, b'PATH')
        return tostr(v) if v is not None else None

    def on_popen(args, ENFORCE=ENFORCE, EXEC=EXEC, check_fork=check_fork, tostr=tostr,
                 env_path=env_path, candidates=candidates, check_program=check_program):
        # The decision that counts is made where the process is created (the fork_exec wrapper,
        # or os.posix_spawn), with the program list subprocess built; here only an early refusal
        # under enforce, so that nothing is half set up (and no report twice in audit mode).
        if not ENFORCE:
            return
        executable, argv, cwd, env = args
        if not check_fork('subprocess.Popen') or EXEC is None:
            return
        name = tostr(executable)
        base = tostr(cwd) if cwd is not None else None
        pv = env_path(env)
        if name is None or (cwd is not None and base is None) or pv is False:
            return
        check_program('subprocess.Popen', candidates(name, base, pv, True), argv)

    def on_spawn(args, EXEC=EXEC, check_fork=check_fork, tostr=tostr, candidates=candidates,
                 check_program=check_program, refuse=refuse, refuse_other=refuse_other,
                 caller_is_subprocess=caller_is_subprocess, argv_json=argv_json, _enc=_enc,
                 R_UNCHECKED=R_UNCHECKED):
        # os.posix_spawn and os.posix_spawnp raise the same event. A name without a slash may be
        # searched along the C environment's PATH, which the hook cannot read (os.putenv, or
        # os.environ._data edited, make it differ from os.environ): refused.
        api = 'subprocess.Popen' if caller_is_subprocess(2) else 'os.posix_spawn'
        if not check_fork(api):
            return
        path, argv, env = args
        name = tostr(path)
        if name is None:
            return refuse_other('os.posix_spawn of an object of an unknown type', R_UNCHECKED, api)
        if EXEC is not None and '/' not in name:
            return refuse('{"act":"exec","path":' + _enc(name) + argv_json(argv), 'exec of ' + name,
                          EXEC[3], api)
        check_program(api, candidates(name, None, None, False), argv)

    def on_exec(args, check_fork=check_fork, tostr=tostr, candidates=candidates,
                check_program=check_program, refuse_other=refuse_other, R_UNCHECKED=R_UNCHECKED):
        if not check_fork('os.exec'):
            return
        path, argv, env = args
        name = tostr(path)
        if name is None:
            return refuse_other('os.exec of an object of an unknown type', R_UNCHECKED, 'os.exec')
        check_program('os.exec', candidates(name, None, None, False), argv)

    def on_system(args, check_fork=check_fork, tostr=tostr, check_program=check_program):
        if check_fork('os.system'):
            cmd = tostr(args[0])
            check_program('os.system', ('/bin/sh',), ['/bin/sh', '-c', '?' if cmd is None else cmd])

    def on_fork(api, check_fork=check_fork):
        def handler(args, api=api, check_fork=check_fork):
            check_fork(api)
        return handler

    def fork_exec_check(argv, names, cwd, check_fork=check_fork, candidates=candidates,
                        check_program=check_program, caller_is_subprocess=caller_is_subprocess,
                        _getframe=_getframe):
        """For the _posixsubprocess.fork_exec wrapper: names, the programs (str) it will try in
        order; cwd (str or None), where the child runs."""
        api = 'subprocess.Popen' if caller_is_subprocess(2) else '_posixsubprocess.fork_exec'
        if not check_fork(api):
            return
        cands = []
        for name in names:
            cands += candidates(name, cwd, None, False)
        check_program(api, cands, argv)

    # ---- network ---------------------------------------------------------------------------

    def numeric(b, _bdecode=_bdecode, _inet_pton=_inet_pton, _inet_aton=_inet_aton, _ATON=_ATON,
                _OSError=_OSError, _ValueError=_ValueError, _UnicodeError=_UnicodeError,
                AF_INET=AF_INET, AF_INET6=AF_INET6):
        """Is b (bytes) an address getaddrinfo reads without a resolver?"""
        try:
            t = _bdecode(b, 'ascii')
        except _UnicodeError:
            return False
        try:
            _inet_pton(AF_INET, t)
            return True
        except (_OSError, _ValueError):
            pass
        try:
            _inet_pton(AF_INET6, t.partition('%')[0])  # a scope is an interface, not a name
            return True
        except (_OSError, _ValueError):
            pass
        if _ATON(t) is not None:
            try:
                _inet_aton(t)
                return True
            except (_OSError, _ValueError):
                pass
        return False

    def host_name(x, _type=_type, _str=_str, _bytes=_bytes, _bytearray=_bytearray, _issub=_issub,
                  _sget=_sget, _bget=_bget, _baget=_baget, _ALL=_ALL, _sencode=_sencode,
                  _bdecode=_bdecode, _blower=_blower, _len=_len, _UnicodeError=_UnicodeError,
                  numeric=numeric):
        """The name a lookup of x asks the resolver for, as C will send it (a str through the
        idna codec, as C encodes it; bytes as they are), lower-cased (ASCII only, as DNS
        compares) and without its final dot. '' when there is no name to look up (an address,
        '', None); None for what C refuses before it looks anything up."""
        if x is None:
            return ''
        t = _type(x)
        if t is _str or _issub(t, _str):
            x = x if t is _str else _sget(x, _ALL)
            try:
                b = _sencode(x, 'ascii') if x.isascii() else _sencode(x, 'idna')
            except _UnicodeError:
                return None  # C's idna encoding fails the same way
        elif t is _bytes:
            b = x
        elif _issub(t, _bytes):
            b = _bget(x, _ALL)
        elif _issub(t, _bytearray):
            b = _bytes(_baget(x, _ALL))
        else:
            return None
        if b == b'' or numeric(b):
            return ''
        b = _blower(b)
        if _len(b) > 1 and b[-1:] == b'.':
            b = b[:-1]
        return _bdecode(b, 'ascii', 'surrogateescape')

    def host_rule(name, port, HOSTS=HOSTS, _tuple=_tuple):
        """(The first 'host' entry whose name matches, and whose ports cover port unless it is
        None; the port ranges of every entry whose name matches.)"""
        if '\0' in name:
            return None, ()  # C would stop at the NUL: the name looked up is not this one
        rule = None
        ports = []
        for match, plo, phi, r in HOSTS:
            if match(name) is not None:
                ports.append((plo, phi))
                if rule is None and (port is None or plo <= port <= phi):
                    rule = r
        return rule, _tuple(ports)

    def refuse_lookup(api, name, port, NAME_MISSING=NAME_MISSING, ENFORCE=ENFORCE, report=report,
                      _enc=_enc, _str=_str, _getpid=_getpid, _gaierror=_gaierror,
                      _EAI_NONAME=_EAI_NONAME):
        """A lookup of a name no 'host' entry allows (port: the port a connect or a send names)."""
        report('{"act":"resolve","name":' + _enc(name) + ',"pid":' + _str(_getpid())
               + ',"runtime":"python","rule":' + NAME_MISSING[1] + ',"api":' + _enc(api) + '}\n')
        if ENFORCE:
            what = 'lookup of ' + name + ('' if port is None else ' (for port ' + _str(port) + ')')
            raise _gaierror(_EAI_NONAME, 'syscage: refused ' + what + ': ' + NAME_MISSING[0])

    def bind_name(api, name, rule, ports, packs, BOUND=BOUND, SWEEP=SWEEP, FLOOR=FLOOR,
                  _monotonic=_monotonic, _from_bytes=_from_bytes, _len=_len, _list=_list,
                  _ditems=_ditems, _dpop=_dpop, _inet_ntop=_inet_ntop, _enc=_enc, _str=_str,
                  _getpid=_getpid, report=report, AF_INET=AF_INET, AF_INET6=AF_INET6):
        """Bind the addresses a lookup of an allowed name returned (packs: ((family, packed),
        ...)) to it, and tell the process monitor (a SeatbeltBinding line)."""
        if not packs:
            return
        now = _monotonic()
        until = now + FLOOR
        if _len(BOUND) >= SWEEP[0]:
            for key, names in _list(_ditems(BOUND)):
                for bound, (deadline, _) in _list(_ditems(names)):
                    if deadline < now:
                        _dpop(names, bound, None)
                if not names:
                    _dpop(BOUND, key, None)
            SWEEP[0] = 4096 if _len(BOUND) < 2048 else 2 * _len(BOUND)
        shown = []
        for f, packed in packs:
            n = _from_bytes(packed, 'big')
            v = 4 if _len(packed) == 4 else 6
            if v == 6 and n >> 32 == 0xffff:
                v, n, packed = 4, n & 0xffffffff, packed[12:]
            names = BOUND.get((v, n))
            if names is None:
                names = BOUND.setdefault((v, n), {})
            names[name] = (until, ports)
            text = _enc(_inet_ntop(AF_INET if v == 4 else AF_INET6, packed))
            if text not in shown:
                shown.append(text)
        report('{"act":"resolved","name":' + _enc(name) + ',"addresses":[' + ','.join(shown)
               + '],"pid":' + _str(_getpid()) + ',"runtime":"python","rule":' + rule[1]
               + ',"api":' + _enc(api) + '}\n')

    def answered(api, host, texts, HOSTS=HOSTS, host_name=host_name, host_rule=host_rule,
                 bind_name=bind_name, _type=_type, _str=_str, _inet_pton=_inet_pton,
                 _OSError=_OSError, _ValueError=_ValueError, AF_INET=AF_INET, AF_INET6=AF_INET6):
        """For the wrappers of socket.getaddrinfo, gethostbyname(_ex) and gethostbyaddr: a lookup
        of host returned texts (the addresses, as C wrote them)."""
        if not HOSTS:
            return
        name = host_name(host)
        if not name:
            return
        rule, ports = host_rule(name, None)
        if rule is None:
            return  # refused (or reported, under mode: audit): bound to nothing
        packs = []
        for t in texts:
            if _type(t) is not _str:
                continue
            t = t.partition('%')[0]
            try:
                packs.append((AF_INET, _inet_pton(AF_INET, t)))
            except (_OSError, _ValueError):
                try:
                    packs.append((AF_INET6, _inet_pton(AF_INET6, t)))
                except (_OSError, _ValueError):
                    pass
        bind_name(api, name, rule, ports, packs)

    def lookup_event(api, _tget=_tget, _tlen=_tlen, host_name=host_name, host_rule=host_rule,
                     refuse_lookup=refuse_lookup):
        """socket.getaddrinfo, socket.gethostbyname (and _ex), socket.gethostbyaddr: raised
        before the resolver is asked. A name no 'host' entry matches is refused."""
        def handler(args, api=api, _tget=_tget, _tlen=_tlen, host_name=host_name,
                    host_rule=host_rule, refuse_lookup=refuse_lookup):
            if _tlen(args) < 1:
                return
            name = host_name(_tget(args, 0))
            if name and host_rule(name, None)[0] is None:
                refuse_lookup(api, name, None)
        return handler

    def precheck(api, sock, addr, ENFORCE=ENFORCE, HOSTS=HOSTS, _family=_family, _type=_type,
                 _issub=_issub, _tuple=_tuple, _tget=_tget, _tlen=_tlen, _int=_int, _index=_index,
                 _str=_str, _bytes=_bytes, host_name=host_name, host_rule=host_rule,
                 refuse_lookup=refuse_lookup, _Exception=Exception, AF_INET=AF_INET, AF_INET6=AF_INET6):
        """For the wrappers of socket.socket's connect, connect_ex, sendto, sendmsg and bind: C
        resolves a name in the address before it raises the event, so a name no 'host' entry
        allows (for the port) is refused here, before the resolver is asked. Only under enforce:
        the event that follows reports it (once) under mode: audit."""
        if not ENFORCE or not HOSTS:
            return
        try:
            fam = _family(sock)
        except _Exception:
            return
        if (fam != AF_INET and fam != AF_INET6) or not _issub(_type(addr), _tuple) or _tlen(addr) < 2:
            return
        host = _tget(addr, 0)
        if (_type(host) is _str and host == '<broadcast>') or (_type(host) is _bytes and host == b'<broadcast>'):
            return  # C's own: an address, whatever the family
        name = host_name(host)
        if not name:
            return
        port = None
        if api != 'socket.bind':
            port = _tget(addr, 1)
            if _type(port) is not _int:
                try:
                    port = _index(port)
                except _Exception:
                    return  # C refuses it
        if host_rule(name, port)[0] is None:
            refuse_lookup(api, name, port)

    def ip_check(api, kind, fam, packed, port, lists, ALWAYS=ALWAYS, HOSTS=HOSTS, BOUND=BOUND,
                 FLOOR=FLOOR, _monotonic=_monotonic, _list=_list, _ditems=_ditems, _sorted=_sorted,
                 _from_bytes=_from_bytes, _len=_len, _inet_ntop=_inet_ntop, _str=_str, _enc=_enc,
                 refuse=refuse, AF_INET=AF_INET, AF_INET6=AF_INET6):
        n = _from_bytes(packed, 'big')
        v = 4 if _len(packed) == 4 else 6
        if v == 6 and n >> 32 == 0xffff:
            v, n, packed = 4, n & 0xffffffff, packed[12:]
        if kind != 'bind' and (v, n, port) in ALWAYS:
            return
        ip, unix, abstract, missing = lists[:4]
        for efam, lo, hi, plo, phi, rule in ip:
            if plo <= port <= phi and (efam == 0 or efam == v) and lo <= n <= hi:
                return
        names = []
        if kind != 'bind' and HOSTS:
            bound = BOUND.get((v, n))
            if bound is not None:
                now = _monotonic()
                for name, (deadline, ports) in _list(_ditems(bound)):
                    if deadline >= now:
                        for plo, phi in ports:
                            if plo <= port <= phi:
                                return
                    names.append((name, deadline < now))
        shown = (_inet_ntop(AF_INET, packed) if v == 4 else '[' + _inet_ntop(AF_INET6, packed) + ']') + ':' + _str(port)
        act = 'bind' if kind == 'bind' else 'connect'
        if not names:
            return refuse('{"act":"' + act + '","address":' + _enc(shown), act + ' to ' + shown, missing, api)
        # An address a lookup of an allowed name returned, for other ports (or too long ago).
        names = _sorted(names)
        said = []
        listed = []
        for name, old in names:
            said.append(name + (' more than ' + _str(FLOOR) + ' s ago' if old else ''))
            listed.append(_enc(name))
        refuse('{"act":"' + act + '","address":' + _enc(shown) + ',"resolvedFrom":[' + ','.join(listed) + ']',
               act + ' to ' + shown + ' (resolved from ' + ', '.join(said) + ')', missing, api)

    def unix_check(api, kind, name, abstract_, lists, ALWAYS=ALWAYS, first=first, _enc=_enc,
                   refuse=refuse):
        ip, unix, abstract, missing = lists[:4]
        if abstract_:
            shown = 'unix:@' + name
            if kind != 'bind' and ('abstract', name) in ALWAYS:
                return
            if first(abstract, '/' + name) is not None:
                return
        else:
            shown = 'unix:' + name
            if kind != 'bind' and ('unix', name) in ALWAYS:
                return
            if first(unix, name) is not None:
                return
        act = 'bind' if kind == 'bind' else 'connect'
        refuse('{"act":"' + act + '","address":' + _enc(shown), act + ' to ' + shown, missing, api)

    def net_event(api, kind, NETWORK=NETWORK, FILES=FILES, _family=_family, _type=_type,
                  _issub=_issub, _tuple=_tuple, _tget=_tget, _tlen=_tlen, _int=_int,
                  _index=_index, _str=_str, _bytes=_bytes, _OSError=_OSError, _ValueError=_ValueError,
                  _inet_pton=_inet_pton, _getaddrinfo=_getaddrinfo, tostr=tostr, absolute=absolute,
                  norm=norm, fdsub=fdsub, realpath=realpath, own=own, ip_check=ip_check,
                  unix_check=unix_check, check_path=check_path, refuse=refuse, _enc=_enc,
                  AF_INET=AF_INET, AF_INET6=AF_INET6, AF_UNIX=AF_UNIX, AF_NETLINK=AF_NETLINK,
                  _UnicodeError=UnicodeError, HOSTS=HOSTS, host_name=host_name, host_rule=host_rule,
                  refuse_lookup=refuse_lookup, bind_name=bind_name):
        def handler(args, api=api, kind=kind, NETWORK=NETWORK, FILES=FILES, _family=_family,
                    _type=_type, _issub=_issub, _tuple=_tuple, _tget=_tget, _tlen=_tlen,
                    _int=_int, _index=_index, _str=_str, _bytes=_bytes, _OSError=_OSError,
                    _ValueError=_ValueError, _inet_pton=_inet_pton, _getaddrinfo=_getaddrinfo,
                    tostr=tostr, absolute=absolute, norm=norm, fdsub=fdsub, realpath=realpath,
                    own=own, ip_check=ip_check, unix_check=unix_check, check_path=check_path,
                    refuse=refuse, _enc=_enc, AF_INET=AF_INET, AF_INET6=AF_INET6,
                    AF_UNIX=AF_UNIX, AF_NETLINK=AF_NETLINK, _UnicodeError=_UnicodeError,
                    HOSTS=HOSTS, host_name=host_name, host_rule=host_rule,
                    refuse_lookup=refuse_lookup, bind_name=bind_name):
            sock, addr = args
            if addr is None:
                return  # sendmsg without an address: the socket is connected
            fam = _family(sock)
            if FILES is not None and fam == AF_UNIX and kind == 'bind':
                p = tostr(addr)
                if p and p[:1] != '\0':
                    check_path(api, True, p, None, False)  # bind creates the socket file
            if NETWORK is None:
                return
            lists = NETWORK[1] if kind == 'bind' else NETWORK[0]
            act = 'bind' if kind == 'bind' else 'connect'
            if fam == AF_INET or fam == AF_INET6:
                if not _issub(_type(addr), _tuple) or _tlen(addr) < 2:
                    return  # C has parsed it already: not reached
                host = tostr(_tget(addr, 0))
                port = _tget(addr, 1)
                port = port if _type(port) is _int else _index(port)
                if host is None:
                    return refuse('{"act":"' + act + '","address":"?"', act + ' to ?', lists[3], api)
                packs = None
                if host == '':
                    packs = ((fam, b'\0' * (4 if fam == AF_INET else 16)),)
                elif host == '<broadcast>' and fam == AF_INET:
                    packs = ((fam, b'\xff\xff\xff\xff'),)
                else:
                    try:
                        if fam == AF_INET or '%' not in host:
                            packs = ((fam, _inet_pton(fam, host)),)
                    except (_OSError, _ValueError):
                        packs = None
                name = None
                if packs is None and HOSTS:
                    # Names are governed. The wrapper of this method refused a name no 'host'
                    # entry allows before C looked it up; a call that went around the wrapper
                    # (_socket.socket.connect) is refused here, after the lookup.
                    name = host_name(_tget(addr, 0))
                    if name:
                        rule, ports = host_rule(name, None if kind == 'bind' else port)
                        if rule is None:
                            return refuse_lookup(api, name, None if kind == 'bind' else port)
                if packs is None:
                    # A host name: every address it resolves to must be allowed (C resolved it
                    # a moment ago; this second answer may differ: DNS rebinding is a hole).
                    # When names are governed, this answer is bound to the name.
                    try:
                        q = host.encode('ascii') if host.isascii() else host
                        infos = _getaddrinfo(q, None, fam)
                        packs = []
                        for info in infos:
                            f, sa = info[0], info[4]
                            if f == AF_INET or f == AF_INET6:
                                packs.append((f, _inet_pton(f, sa[0].partition('%')[0])))
                    except (_OSError, _ValueError, _UnicodeError):
                        packs = []
                    if not packs:
                        shown = host + ':' + _str(port)
                        return refuse('{"act":"' + act + '","address":' + _enc(shown),
                                      act + ' to ' + shown + ' (the name does not resolve here)',
                                      lists[3], api)
                    if name and kind != 'bind':
                        bind_name(api, name, rule, ports, packs)
                for f, packed in packs:
                    ip_check(api, kind, f, packed, port, lists)
                return
            if fam == AF_UNIX:
                p = tostr(addr)
                if p is None:
                    return refuse('{"act":"' + act + '","address":"unix:?"', act + ' to unix:?', lists[3], api)
                if p == '' or p[:1] == '\0':
                    return unix_check(api, kind, p[1:], True, lists)  # '' binds an abstract name
                a = absolute(p, None)
                lex = own(fdsub(norm(a)))
                real = realpath(a, kind != 'bind')
                real = real if real is None else own(real)
                unix_check(api, kind, lex, False, lists)
                if real is not None and real != lex:
                    unix_check(api, kind, real, False, lists)
                return
            if fam == AF_NETLINK:
                return  # the kernel, not a destination
            shown = 'family:' + _str(fam)
            refuse('{"act":"' + act + '","address":' + _enc(shown), act + ' to ' + shown, lists[3], api)
        return handler

    # ---- native code -----------------------------------------------------------------------

    def check_native(api, p, NATIVE=NATIVE, realpath=realpath, absolute=absolute, first=first,
                     refuse=refuse, _enc=_enc):
        """p: a file path; its real path must be in policy.native."""
        real = realpath(absolute(p, None), True) or p
        if NATIVE[0](real) is None:
            refuse('{"act":"native","path":' + _enc(real), 'native code ' + real, NATIVE[2], api)

    def stdlib_native(real, STDLIB=STDLIB, DYNLOAD=DYNLOAD, _len=_len):
        for d in DYNLOAD:
            if real[:_len(d) + 1] == d + '/':
                return True
        for d in STDLIB:
            if real[:_len(d) + 1] == d + '/':
                rest = real[_len(d):]
                return '/site-packages/' not in rest and '/dist-packages/' not in rest
        return False

    def on_import(args, _tget=_tget, _tlen=_tlen, tostr=tostr, refuse_other=refuse_other,
                  check_native=check_native, stdlib_native=stdlib_native, realpath=realpath,
                  absolute=absolute, SUBINTERP=SUBINTERP, TESTMODS=TESTMODS, FFI=FFI,
                  WRAPPED=WRAPPED, BUILTINS=BUILTINS, EXE=EXE, R_SUBINTERP=R_SUBINTERP,
                  R_TESTMOD=R_TESTMOD, R_WRAPPED=R_WRAPPED, R_UNCHECKED=R_UNCHECKED):
        name = tostr(_tget(args, 0))
        if name is None:
            return refuse_other('import of an object of an unknown type', R_UNCHECKED, 'import')
        last = name.rpartition('.')[2]
        fn = _tget(args, 1) if _tlen(args) > 1 else None
        if fn is None:
            # The import statement (the module is not loaded yet): names refused whatever
            # the file; FFI modules built into the interpreter load no file.
            if last in SUBINTERP:
                return refuse_other('import of ' + name, R_TESTMOD if last in TESTMODS else R_SUBINTERP, 'import')
            if last in WRAPPED:
                return refuse_other('import of ' + name, R_WRAPPED, 'import')
            if last in FFI and last in BUILTINS:
                return check_native('import', EXE)
            return
        # An extension module's file, about to be loaded (_imp.create_dynamic).
        path = tostr(fn)
        if path is None:
            return refuse_other('import of ' + name + ' from an object of an unknown type', R_UNCHECKED, 'import')
        base = path.rpartition('/')[2].partition('.')[0]
        if last in SUBINTERP or base in SUBINTERP:
            return refuse_other('import of ' + name, R_TESTMOD if last in TESTMODS or base in TESTMODS else R_SUBINTERP, 'import')
        if last in WRAPPED or base in WRAPPED:
            return refuse_other('import of ' + name, R_WRAPPED, 'import')
        if last in FFI or base in FFI:
            return check_native('import', path)
        real = realpath(absolute(path, None), True)
        if real is not None and stdlib_native(real):
            return
        check_native('import', path)

    def on_dlopen(args, tostr=tostr, check_native=check_native, _stat=_stat, _OSError=_OSError,
                  refuse=refuse, refuse_other=refuse_other, NATIVE=NATIVE, _enc=_enc,
                  EXE=EXE, LD_DIRS=LD_DIRS, R_UNCHECKED=R_UNCHECKED):
        name = args[0]
        if name is None:
            return check_native('ctypes.dlopen', EXE)  # the program itself and what it loaded
        name = tostr(name)
        if name is None:
            return refuse_other('ctypes.dlopen of an object of an unknown type', R_UNCHECKED, 'ctypes.dlopen')
        if '/' in name:
            return check_native('ctypes.dlopen', name)
        # A bare name: the loader searches LD_LIBRARY_PATH, its cache and the default
        # directories. Every file by that name in those directories must be allowed.
        found = False
        for d in LD_DIRS:
            p = d + '/' + name
            try:
                _stat(p)
            except _OSError:
                continue
            found = True
            check_native('ctypes.dlopen', p)
        if not found:
            refuse('{"act":"native","path":' + _enc(name), 'native code ' + name
                   + ' (not found where the seatbelt looks)', NATIVE[2], 'ctypes.dlopen')

    # ---- the rest --------------------------------------------------------------------------

    def on_gc(api, refuse_other=refuse_other, R_GC=R_GC):
        def handler(args, api=api, refuse_other=refuse_other, R_GC=R_GC):
            refuse_other(api, R_GC, api)
        return handler

    def on_setattr(api, refuse_other=refuse_other, R_SELF=R_SELF, tostr=tostr, _id=_id):
        def handler(args, api=api, refuse_other=refuse_other, R_SELF=R_SELF, tostr=tostr,
                    _id=_id, SELF_IDS=None):
            if _id(args[0]) in SELF_IDS:
                name = tostr(args[1])
                refuse_other('changing ' + ('?' if name is None else name) + ' of the seatbelt',
                             R_SELF, api)
        return handler

    handlers = {
        'os.remove': file_event('os.remove', ((0, 1, True, False, False),)),
        'os.rmdir': file_event('os.rmdir', ((0, 1, True, False, False),)),
        'os.mkdir': file_event('os.mkdir', ((0, 2, True, False, False),)),
        'os.rename': file_event('os.rename', ((0, 2, True, False, False), (1, 3, True, False, False))),
        # A hard link is another name for the same file: the source must be writable too.
        'os.link': file_event('os.link', ((0, 2, True, True, False), (1, 3, True, False, False))),
        'os.symlink': file_event('os.symlink', ((1, 2, True, False, False),)),
        'os.chmod': file_event('os.chmod', ((0, 2, True, True, True),)),
        'os.chown': file_event('os.chown', ((0, 3, True, True, True),)),
        'os.utime': file_event('os.utime', ((0, 3, True, True, True),)),
        'os.truncate': file_event('os.truncate', ((0, -1, True, True, False),)),
        'os.setxattr': file_event('os.setxattr', ((0, -1, True, True, True),)),
        'os.removexattr': file_event('os.removexattr', ((0, -1, True, True, True),)),
        'os.listdir': file_event('os.listdir', ((0, -1, False, True, 'cwd'),)),
        'os.scandir': file_event('os.scandir', ((0, -1, False, True, 'cwd'),)),
        'shutil.copyfile': shutil_event('shutil.copyfile', ((0, False, True, -1), (1, True, True, -1))),
        'shutil.copymode': shutil_event('shutil.copymode', ((0, False, True, -1), (1, True, True, -1))),
        'shutil.copystat': shutil_event('shutil.copystat', ((0, False, True, -1), (1, True, True, -1))),
        'shutil.copytree': shutil_event('shutil.copytree', ((0, False, True, -1), (1, True, True, -1))),
        'shutil.rmtree': shutil_event('shutil.rmtree', ((0, True, False, 1),)),
        'shutil.move': shutil_event('shutil.move', ((0, True, False, -1), (1, True, False, -1))),
        'shutil.chown': shutil_event('shutil.chown', ((0, True, True, -1),)),
        'shutil.unpack_archive': shutil_event('shutil.unpack_archive', ((0, False, True, -1), (1, True, True, -1))),
        'subprocess.Popen': on_popen,
        'os.posix_spawn': on_spawn,
        'os.exec': on_exec,
        'os.system': on_system,
        'os.fork': on_fork('os.fork'),
        'os.forkpty': on_fork('os.forkpty'),
        'socket.connect': net_event('socket.connect', 'connect'),
        'socket.sendto': net_event('socket.sendto', 'connect'),
        'socket.sendmsg': net_event('socket.sendmsg', 'connect'),
        'socket.bind': net_event('socket.bind', 'bind'),
        # Lookups, when names are governed (else not checked: exactly as without names).
        **({'socket.getaddrinfo': lookup_event('socket.getaddrinfo'),
            'socket.gethostbyname': lookup_event('socket.gethostbyname'),
            'socket.gethostbyaddr': lookup_event('socket.gethostbyaddr')} if HOSTS else {}),
        'import': on_import,
        'ctypes.dlopen': on_dlopen,
        'gc.get_referrers': on_gc('gc.get_referrers'),
        'gc.get_referents': on_gc('gc.get_referents'),
        'gc.get_objects': on_gc('gc.get_objects'),
        'object.__setattr__': on_setattr('object.__setattr__'),
        'object.__delattr__': on_setattr('object.__delattr__'),
    }

    def hook(event, args, _type=_type, _str=_str, on_open=on_open, get=None):
        if _type(event) is not _str:
            return  # only sys.audit() from Python can raise such an event
        if event == 'open':
            return on_open(args)
        h = get(event)
        if h is not None:
            h(args)

    # Everything the hook can reach: their __code__ and __defaults__ may not be changed.
    SELF = [tostr, norm, absolute, fdsub, walk, own, realpath, report, refuse, refuse_other, first,
            file_rule, check_path, check_any, check_fd, on_open, check_fork, argv_json,
            candidates, check_program, caller_is_subprocess, env_path, on_popen, on_spawn,
            on_exec, on_system, fork_exec_check, numeric, host_name, host_rule, refuse_lookup,
            bind_name, answered, precheck, ip_check, unix_check, check_native,
            stdlib_native, on_import, on_dlopen, hook] + list(handlers.values())
    SELF_IDS = frozenset(_id(f) for f in SELF)
    for f in handlers.values():
        if 'SELF_IDS' in f.__code__.co_varnames:
            f.__defaults__ = f.__defaults__[:-1] + (SELF_IDS,)
    from types import MappingProxyType
    hook.__defaults__ = hook.__defaults__[:-1] + (MappingProxyType(handlers).get,)
    return hook, fork_exec_check, refuse_other, tostr, R_WRAPPED, precheck, answered


def _context():
    """What the hook needs to know about this interpreter and this process."""
    fd = -1
    ident = (0, 0)
    chan = os.environ.get(CHANNEL_ENV)
    if chan is not None:
        if re.fullmatch('[0-9]{1,9}', chan) is None:
            _die('%s must be a descriptor number, not %r' % (CHANNEL_ENV, chan))
        try:
            st = os.fstat(int(chan))
            import stat
            if stat.S_ISSOCK(st.st_mode):  # else not ours (a child Python whose fds were closed)
                fd, ident = int(chan), (st.st_dev, st.st_ino)
        except OSError:
            pass
    try:
        exe = os.readlink('/proc/self/exe')
    except OSError:
        exe = os.path.realpath(sys.executable or '/proc/self/exe')
    stdlib_dir = os.path.dirname(os.__file__)
    stdlib = tuple(sorted({stdlib_dir, os.path.realpath(stdlib_dir)}))
    dynload = set()
    for p in sys.path:
        if os.path.basename(p) == 'lib-dynload':
            dynload.update((p, os.path.realpath(p)))
    env_data = getattr(os.environ, '_data', None)
    if type(env_data) is not dict:
        env_data = {}
    ld = []
    for d in os.environ.get('LD_LIBRARY_PATH', '').split(':'):
        if d:
            ld.append(os.path.abspath(d))
    ld += _ld_conf_dirs('/etc/ld.so.conf', 0)
    ld += ['/lib64', '/usr/lib64', '/lib', '/usr/lib']
    seen = set()
    ld = tuple(d for d in ld if not (d in seen or seen.add(d)))
    return (fd, ident, exe, stdlib, tuple(sorted(dynload)), os.path.join(stdlib_dir, 'subprocess.py'),
            env_data, ld, frozenset(sys.builtin_module_names),
            frozenset((_LAUNCHER, os.path.realpath(_LAUNCHER))))


def _ld_conf_dirs(path, depth):
    """The directories /etc/ld.so.conf names (with its include lines)."""
    out = []
    if depth > 4:
        return out
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        if line.startswith('include '):
            pattern = line[8:].strip()
            if not pattern.startswith('/'):
                pattern = os.path.join(os.path.dirname(path), pattern)
            # A wildcard in the last component only (what ld.so.conf files use).
            where, _, name = pattern.rpartition('/')
            match = re.compile(''.join('[^/]*' if c == '*' else '[^/]' if c == '?' else re.escape(c)
                                       for c in name)).fullmatch
            try:
                names = sorted(n for n in os.listdir(where or '/') if match(n))
            except OSError:
                continue
            for n in names:
                out += _ld_conf_dirs(where + '/' + n, depth + 1)
        elif line.startswith('/'):
            out.append(line.rstrip('/'))
    return out


def _install(policy):
    """Build the hook, wrap what raises no event, install the hook."""
    ctx = _context()
    hook, fork_exec_check, refuse_other, tostr, r_wrapped, precheck, answered = _seatbelt(policy, ctx)
    _wrap_fork_exec(fork_exec_check, tostr)
    _wrap_open()
    _wrap_create_builtin(refuse_other, tostr, r_wrapped)
    _wrap_create_dynamic(tostr)
    network = policy[4]
    if network is not None and network[0][4]:
        _wrap_names(precheck, answered)
    sys.addaudithook(hook)


def _wrap_names(precheck, answered):
    # Names are governed (network.connect has a 'host' entry). The hook refuses a lookup before
    # it happens, but never sees what it returned: the lookup functions are wrapped (in _socket,
    # whose getaddrinfo socket.getaddrinfo calls, and in socket) to bind their answers to the
    # name. And socket.socket's methods that take an address resolve a name in it before they
    # raise their event: wrapped to refuse a name before the resolver is asked.
    import socket
    families = (_socket.AF_INET, _socket.AF_INET6)

    def dress(f, orig, name, qualname, module):
        f.__name__, f.__qualname__, f.__module__, f.__doc__ = name, qualname, module, orig.__doc__

    gai = _socket.getaddrinfo

    def getaddrinfo(*args, **kwargs):
        res = gai(*args, **kwargs)
        answered('socket.getaddrinfo', args[0] if args else kwargs.get('host'),
                 [r[4][0] for r in res if r[0] in families])
        return res

    by_name = _socket.gethostbyname

    def gethostbyname(*args, **kwargs):
        res = by_name(*args, **kwargs)
        answered('socket.gethostbyname', args[0], [res])
        return res

    by_name_ex = _socket.gethostbyname_ex

    def gethostbyname_ex(*args, **kwargs):
        res = by_name_ex(*args, **kwargs)
        answered('socket.gethostbyname_ex', args[0], list(res[2]))
        return res

    by_addr = _socket.gethostbyaddr

    def gethostbyaddr(*args, **kwargs):
        res = by_addr(*args, **kwargs)
        answered('socket.gethostbyaddr', args[0], list(res[2]))
        return res

    for f in (getaddrinfo, gethostbyname, gethostbyname_ex, gethostbyaddr):
        name = f.__name__
        dress(f, getattr(_socket, name), name, name, '_socket')
        setattr(_socket, name, f)
        if name != 'getaddrinfo':  # socket.getaddrinfo is socket.py's own, calling _socket's
            setattr(socket, name, f)

    base = _socket.socket
    connect, connect_ex, bind = base.connect, base.connect_ex, base.bind
    sendto, sendmsg = base.sendto, base.sendmsg

    def m_connect(self, *args, **kwargs):
        if len(args) == 1:
            precheck('socket.connect', self, args[0])
        return connect(self, *args, **kwargs)

    def m_connect_ex(self, *args, **kwargs):
        if len(args) == 1:
            precheck('socket.connect', self, args[0])
        return connect_ex(self, *args, **kwargs)

    def m_bind(self, *args, **kwargs):
        if len(args) == 1:
            precheck('socket.bind', self, args[0])
        return bind(self, *args, **kwargs)

    def m_sendto(self, *args, **kwargs):
        if 2 <= len(args) <= 3:
            precheck('socket.sendto', self, args[-1])
        return sendto(self, *args, **kwargs)

    def m_sendmsg(self, *args, **kwargs):
        if len(args) >= 4:
            precheck('socket.sendmsg', self, args[3])
        return sendmsg(self, *args, **kwargs)

    cls = socket.socket
    for name, f in (('connect', m_connect), ('connect_ex', m_connect_ex), ('bind', m_bind),
                    ('sendto', m_sendto), ('sendmsg', m_sendmsg)):
        dress(f, getattr(base, name), name, 'socket.' + name, 'socket')
        setattr(cls, name, f)


def _wrap_fork_exec(check, tostr):
    # _posixsubprocess.fork_exec raises no audit event (3.8 to 3.13): subprocess and
    # multiprocessing call it. The wrapper sees the list of programs the child will try.
    import _posixsubprocess
    orig = _posixsubprocess.fork_exec

    def fork_exec(*args):
        if len(args) < 5:
            return orig(*args)
        args = list(args)
        names = []
        converted = []
        for e in args[1]:
            if not isinstance(e, (str, bytes)):
                e = os.fspath(e)
            e = os.fsencode(e)
            if type(e) is not bytes:
                e = bytes(e)
            converted.append(e)
            names.append(tostr(e))
        cwd = args[4]
        if cwd is not None:
            cwd = os.fsencode(cwd if isinstance(cwd, (str, bytes)) else os.fspath(cwd))
            if type(cwd) is not bytes:
                cwd = bytes(cwd)
        args[1] = tuple(converted)
        args[4] = cwd
        check(args[0], names, tostr(cwd) if cwd is not None else None)
        return orig(*args)

    fork_exec.__name__ = fork_exec.__qualname__ = 'fork_exec'
    fork_exec.__module__ = '_posixsubprocess'
    fork_exec.__doc__ = orig.__doc__
    _posixsubprocess.fork_exec = fork_exec
    if 'subprocess' in sys.modules:  # not under -I -S; in case a future version imports it early
        sys.modules['subprocess']._fork_exec = fork_exec


def _wrap_open():
    # The open event carries no dir_fd: os.open(name, flags, dir_fd=fd) is turned into an open
    # of /proc/self/fd/FD/name, whose event names the directory.
    orig = posix.open

    def open(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is None or isinstance(path, int):
            return orig(path, flags, mode, dir_fd=dir_fd)
        p = os.fspath(path)
        if isinstance(p, bytes):
            if p.startswith(b'/'):
                return orig(p, flags, mode)
            via = b'/proc/self/fd/%d/' % dir_fd + p
        else:
            if p.startswith('/'):
                return orig(p, flags, mode)
            via = '/proc/self/fd/%d/' % dir_fd + p
        try:
            return orig(via, flags, mode)
        except OSError as e:
            if e.filename == via:
                e.filename = path
            raise

    open.__module__ = 'posix'
    open.__doc__ = orig.__doc__
    posix.open = open
    os.open = open
    for kind in ('supports_dir_fd', 'supports_fd', 'supports_follow_symlinks', 'supports_effective_ids'):
        have = getattr(os, kind, None)
        if isinstance(have, set) and orig in have:
            have.add(open)


def _wrap_create_builtin(refuse_other, tostr, rule):
    # A module built into the interpreter can be created again with _imp.create_builtin,
    # which raises no event: a fresh _posixsubprocess would have the unwrapped fork_exec.
    orig = _imp.create_builtin
    ModuleSpec = sys.modules['_frozen_importlib'].ModuleSpec

    def create_builtin(spec):
        name = tostr(spec.name)
        if name is None:
            raise TypeError('spec.name must be a string')
        if name.rpartition('.')[2] in _WRAPPED_MODULES:
            refuse_other('import of ' + name, rule, 'import')
        if type(spec) is not ModuleSpec:
            spec = ModuleSpec(name, None, origin='built-in')
        return orig(spec)

    create_builtin.__module__ = '_imp'
    _imp.create_builtin = create_builtin


def _wrap_create_dynamic(tostr):
    # _imp.create_dynamic reads spec.origin once for the import event and again to load the
    # file: a spec whose origin changes in between would load a file the hook never saw. The
    # wrapper reads name and origin once and hands C a plain spec with those.
    orig = _imp.create_dynamic
    ModuleSpec = sys.modules['_frozen_importlib'].ModuleSpec

    def create_dynamic(spec, file=None):
        if type(spec) is not ModuleSpec or type(spec.name) is not str or type(spec.origin) is not str:
            name, origin = tostr(spec.name), tostr(spec.origin)
            if name is None or origin is None:
                raise TypeError('spec.name and spec.origin must be strings')
            spec = ModuleSpec(name, None, origin=origin)
        return orig(spec) if file is None else orig(spec, file)

    create_dynamic.__module__ = '_imp'
    _imp.create_dynamic = create_dynamic


# ---------------------------------------------------------------------------------------------
# What -I -S took away

def _restore(unbuffered, no_bytecode):
    env = os.environ
    for p in reversed([os.path.abspath(p) for p in env.get('PYTHONPATH', '').split(os.pathsep)]
                      if env.get('PYTHONPATH') else []):
        sys.path.insert(0, p)
    if no_bytecode or env.get('PYTHONDONTWRITEBYTECODE'):
        sys.dont_write_bytecode = True
    if env.get('PYTHONPYCACHEPREFIX'):
        sys.pycache_prefix = os.path.abspath(env['PYTHONPYCACHEPREFIX'])
    digits = env.get('PYTHONINTMAXSTRDIGITS')
    if digits and hasattr(sys, 'set_int_max_str_digits'):
        try:
            sys.set_int_max_str_digits(int(digits))
        except ValueError:
            pass
    encoding = env.get('PYTHONIOENCODING')
    if encoding:
        enc, _, errors = encoding.partition(':')
        if enc:
            import codecs
            try:
                enc = codecs.lookup(enc).name
            except LookupError:
                enc = ''
        for name in ('stdin', 'stdout', 'stderr'):
            stream = getattr(sys, name, None)
            if isinstance(stream, io.TextIOWrapper):
                try:
                    stream.reconfigure(encoding=enc or None,
                                       errors=errors or (None if name != 'stderr' else 'backslashreplace'))
                except (LookupError, ValueError):
                    pass
    if unbuffered or env.get('PYTHONUNBUFFERED'):
        for name, fd in (('stdout', 1), ('stderr', 2)):
            stream = getattr(sys, name, None)
            if not isinstance(stream, io.TextIOWrapper):
                continue
            stream.flush()
            try:
                raw = io.FileIO(fd, 'w', closefd=False)
            except OSError:
                continue
            new = io.TextIOWrapper(raw, encoding=stream.encoding, errors=stream.errors,
                                   line_buffering=stream.line_buffering, write_through=True)
            setattr(sys, name, new)
            setattr(sys, '__%s__' % name, new)
    if env.get('PYTHONWARNINGS'):
        opts = [o for o in env['PYTHONWARNINGS'].split(',') if o]
        sys.warnoptions[:0] = opts
        if 'warnings' in sys.modules:
            sys.modules['warnings']._processoptions(opts)
    if env.get('PYTHONFAULTHANDLER'):
        import faulthandler
        faulthandler.enable()
    import site
    if env.get('PYTHONNOUSERSITE') or os.getuid() != os.geteuid() or os.getgid() != os.getegid():
        site.ENABLE_USER_SITE = False
    else:
        site.ENABLE_USER_SITE = True
    site.main()


# ---------------------------------------------------------------------------------------------
# Running the handler's command as python would

def _usage(message):
    _die(message + ' (the launcher runs: [-u] [-B] SCRIPT|-m MODULE|-c CODE [ARGS...])')


def _parse(argv):
    """python's own options: -u, -B, then -c CODE, -m MODULE or a script."""
    unbuffered = no_bytecode = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--':
            i += 1
            break
        if not a.startswith('-') or a == '-':
            break
        if a.startswith('--'):
            _usage('unsupported interpreter option %s' % a)
        j = 1
        while j < len(a):
            c = a[j]
            if c == 'u':
                unbuffered = True
            elif c == 'B':
                no_bytecode = True
            elif c in 'cm':
                operand = a[j + 1:]
                rest = argv[i + 1:]
                if not operand:
                    if not rest:
                        _usage('option -%s needs an argument' % c)
                    operand, rest = rest[0], rest[1:]
                return c, operand, rest, unbuffered, no_bytecode
            else:
                _usage('unsupported interpreter option -%s' % c)
            j += 1
        i += 1
    if i >= len(argv):
        _usage('no script: an interactive interpreter is not supported')
    if argv[i] == '-':
        _usage('a script on standard input ("-") is not supported')
    return 's', argv[i], argv[i + 1:], unbuffered, no_bytecode


def _new_main():
    import types
    main = types.ModuleType('__main__')
    main.__dict__['__builtins__'] = __builtins__
    sys.modules['__main__'] = main
    return main


def _uncaught(exc, skip):
    """Print an uncaught exception as python does (without the launcher's frames), exit 1."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in skip:
        tb = tb.tb_next
    exc.__traceback__ = tb  # python prints the exception's own traceback
    sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
    try:
        sys.excepthook(type(exc), exc, tb)
    except BaseException:
        sys.__excepthook__(type(exc), exc, tb)
    if isinstance(exc, KeyboardInterrupt):
        # python ends with SIGINT after an unhandled KeyboardInterrupt: do so after atexit.
        import atexit
        import signal

        def die():
            for s in (sys.stdout, sys.stderr):
                try:
                    s.flush()
                except Exception:
                    pass
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        atexit.register(die)
    sys.exit(1)


def _run(mode, target, rest):
    skip = {_LAUNCHER, __file__}
    safe_path = bool(os.environ.get('PYTHONSAFEPATH'))
    if mode == 'c':
        sys.argv[:] = ['-c'] + rest
        if not safe_path:
            sys.path.insert(0, '')
        main = _new_main()
        main.__dict__.update(__name__='__main__', __doc__=None, __package__=None,
                             __loader__=None, __spec__=None)
        try:
            code = compile(target, '<string>', 'exec')
            exec(code, main.__dict__)
        except SystemExit:
            raise
        except BaseException as e:
            _uncaught(e, skip)
        return
    if mode == 'm':
        import runpy
        sys.argv[:] = ['-m'] + rest
        if not safe_path:
            sys.path.insert(0, os.getcwd())
        _new_main()
        try:
            runpy._run_module_as_main(target, alter_argv=True)
        except SystemExit:
            raise
        except BaseException as e:
            _uncaught(e, skip)
        return
    # A script: a file, or a directory or zip file with a __main__.py.
    sys.argv[:] = [target] + rest
    path = os.path.abspath(target)
    try:
        os.stat(path)
    except OSError as e:
        prog = (getattr(sys, 'orig_argv', None) or [sys.executable])[0]
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (prog, path, e.errno, e.strerror))
        sys.stderr.flush()
        sys.exit(2)
    if os.path.isdir(path) or _is_zip(path):
        import runpy
        try:
            runpy.run_path(target, run_name='__main__')
        except SystemExit:
            raise
        except BaseException as e:
            skip.add(runpy.__file__)
            _uncaught(e, skip)
        return
    if not safe_path:
        sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
    main = _new_main()
    main.__dict__.update(__name__='__main__', __doc__=None, __package__=None, __spec__=None,
                         __file__=path, __cached__=None)
    try:
        from importlib.machinery import SourceFileLoader
        main.__loader__ = SourceFileLoader('__main__', path)
        with io.open_code(path) as f:
            source = f.read()
        code = compile(source, path, 'exec', dont_inherit=True)
        exec(code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as e:
        _uncaught(e, skip)


def _is_zip(path):
    try:
        with open(path, 'rb') as f:
            f.seek(-22, 2)
            return f.read(4) == b'PK\x05\x06'
    except OSError:
        return False


def _main():
    policy = _load_policy()
    mode, target, rest, unbuffered, no_bytecode = _parse(sys.argv[1:])
    _install(policy)
    _restore(unbuffered, no_bytecode)
    _run(mode, target, rest)


if __name__ == '__main__':
    _main()
