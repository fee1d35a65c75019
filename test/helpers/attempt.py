#!/usr/bin/env python3
"""Perform ONE action, named on the command line, and say how it went.

    attempt.py [--cd DIR] ACTION ARGS...

Prints one line, "ok ACTION ..." or "refused ERRNO-NAME", and exits 0 either
way, so that a test sees a refusal from inside the sandbox as well as in the
supervisor's audit log. Usage errors exit 2. Standard library only; ctypes
syscall() for what Python has no wrapper for (open, openat2, execveat,
io_uring_setup). x86_64 syscall numbers.

Actions
  files, reads
    open PATH                   the open(2) syscall itself (not openat), O_RDONLY
    read PATH                   os.open (openat(AT_FDCWD)), O_RDONLY, read it
    openat DIR NAME             openat(dirfd of DIR, NAME)
    openat2 DIR NAME            openat2(dirfd of DIR, NAME, {O_RDONLY})
    plant-read DIR TARGET       plant DIR/link -> TARGET, then read DIR/link
  files, writes
    create PATH                 open(O_WRONLY|O_CREAT|O_TRUNC) and write
    rename SRC DST
    unlink PATH
    truncate PATH               truncate(2) to 0 bytes
  programs (on success the program runs: its output is the answer)
    execve PROG ARGS...
    execveat DIR NAME ARGS...   execveat(dirfd of DIR, NAME, [NAME, ARGS...])
    fork-exec PROG ARGS...      execve in a forked child; the parent waits
    thread-exec PROG ARGS...    execve from a second thread
    execveat-fd PROG ARGS...    execveat(open(PROG, O_PATH), "", AT_EMPTY_PATH)
    memfd-exec PROG ARGS...     copy PROG into a memfd and execveat it (fileless)
    spawn PROG ARGS...          subprocess.run (vfork + exec in the child)
  network
    connect HOST PORT           TCP; HOST with ":" is IPv6 (::ffff:a.b.c.d too)
    connect-unix PATH           SOCK_STREAM to a UNIX socket path
    sendto HOST PORT            one UDP datagram, the destination in sendto
    sendmsg HOST PORT           one UDP datagram, the destination in sendmsg's msg_name
  kernel
    io_uring                    io_uring_setup(8, &params)
  misc
    threads N                   N threads each read /etc/hostname; "ok threads N"
    pids FILE ARGS...           write this pid to FILE, then execve ARGS

--cd DIR changes to DIR first (for relative paths).
"""
import ctypes
import errno
import os
import socket
import sys
import threading

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

SYS_open = 2
SYS_execveat = 322
SYS_io_uring_setup = 425
SYS_openat2 = 437
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000


class Refused(Exception):
    def __init__(self, err):
        super().__init__(err)
        self.err = err


def raw(nr, *args):
    """syscall(nr, args...) → result; Refused(errno) when it fails."""
    r = libc.syscall(ctypes.c_long(nr), *args)
    if r < 0:
        raise Refused(ctypes.get_errno())
    return r


def cstr(s):
    return ctypes.c_char_p(os.fsencode(s))


def argv_array(items):
    arr = (ctypes.c_char_p * (len(items) + 1))()
    for i, a in enumerate(items):
        arr[i] = os.fsencode(a)
    arr[len(items)] = None
    return arr


def envp_array():
    return argv_array([f"{k}={v}" for k, v in os.environ.items()])


def read_fd(fd):
    try:
        data = os.read(fd, 65536)
    finally:
        os.close(fd)
    return len(data)


def dirfd(d):
    return os.open(d, os.O_RDONLY | os.O_DIRECTORY)


# --- files -------------------------------------------------------------------

def a_open(path):
    fd = raw(SYS_open, cstr(path), ctypes.c_int(os.O_RDONLY), ctypes.c_int(0))
    return f"open {read_fd(fd)} bytes"


def a_read(path):
    return f"read {read_fd(os.open(path, os.O_RDONLY))} bytes"


def a_openat(d, name):
    fd = dirfd(d)
    try:
        n = read_fd(os.open(name, os.O_RDONLY, dir_fd=fd))
    finally:
        os.close(fd)
    return f"openat {n} bytes"


class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def a_openat2(d, name):
    fd = dirfd(d)
    how = OpenHow(os.O_RDONLY, 0, 0)
    try:
        r = raw(SYS_openat2, ctypes.c_int(fd), cstr(name), ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how)))
    finally:
        os.close(fd)
    return f"openat2 {read_fd(r)} bytes"


def a_plant_read(d, target):
    link = os.path.join(d, "link")
    try:
        os.unlink(link)
    except FileNotFoundError:
        pass
    os.symlink(target, link)
    return f"plant-read {read_fd(os.open(link, os.O_RDONLY))} bytes"


def a_create(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, b"written by attempt.py\n")
    finally:
        os.close(fd)
    return "create"


def a_rename(src, dst):
    os.rename(src, dst)
    return "rename"


def a_unlink(path):
    os.unlink(path)
    return "unlink"


def a_truncate(path):
    os.truncate(path, 0)
    return "truncate"


# --- programs ------------------------------------------------------------------

def flush():
    sys.stdout.flush()
    sys.stderr.flush()


def a_execve(prog, *args):
    flush()
    os.execv(prog, [prog, *args])


def a_execveat(d, name, *args):
    fd = dirfd(d)
    flush()
    raw(SYS_execveat, ctypes.c_int(fd), cstr(name), argv_array([name, *args]), envp_array(), ctypes.c_int(0))
    raise AssertionError("execveat returned success")


def a_fork_exec(prog, *args):
    flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(prog, [prog, *args])
        except OSError as e:
            print(f"refused {errno.errorcode.get(e.errno, e.errno)}", flush=True)
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        # The child was killed (violation: kill): say so from the parent.
        print(f"child killed by signal {os.WTERMSIG(status)}", flush=True)
    return None


def a_thread_exec(prog, *args):
    flush()
    result = {}

    def body():
        try:
            os.execv(prog, [prog, *args])
        except OSError as e:
            result["err"] = e.errno

    t = threading.Thread(target=body)
    t.start()
    t.join()
    raise Refused(result["err"])


def a_execveat_fd(prog, *args):
    fd = os.open(prog, os.O_PATH)
    flush()
    raw(SYS_execveat, ctypes.c_int(fd), cstr(""), argv_array([prog, *args]), envp_array(), ctypes.c_int(AT_EMPTY_PATH))
    raise AssertionError("execveat returned success")


def a_memfd_exec(prog, *args):
    with open(prog, "rb") as f:
        code = f.read()
    fd = os.memfd_create("payload", 0)
    os.write(fd, code)
    flush()
    raw(SYS_execveat, ctypes.c_int(fd), cstr(""), argv_array([prog, *args]), envp_array(), ctypes.c_int(AT_EMPTY_PATH))
    raise AssertionError("execveat returned success")


def a_spawn(prog, *args):
    import subprocess
    flush()
    r = subprocess.run([prog, *args])
    if r.returncode < 0:
        print(f"child killed by signal {-r.returncode}", flush=True)
    return None


# --- network -------------------------------------------------------------------

def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def a_connect(host, port):
    with socket.socket(family(host), socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect((host, int(port)))
    return f"connect {host} {port}"


def a_connect_unix(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
    return f"connect-unix {path}"


def a_sendto(host, port):
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        n = s.sendto(b"attempt.py datagram", (host, int(port)))
    return f"sendto {host} {port} {n} bytes"


def a_sendmsg(host, port):
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        n = s.sendmsg([b"attempt.py datagram"], [], 0, (host, int(port)))
    return f"sendmsg {host} {port} {n} bytes"


# --- kernel ------------------------------------------------------------------------

def a_io_uring():
    params = ctypes.create_string_buffer(120)  # struct io_uring_params
    fd = raw(SYS_io_uring_setup, ctypes.c_uint(8), params)
    os.close(fd)
    return "io_uring"


# --- misc ----------------------------------------------------------------------------

def a_threads(n):
    n = int(n)
    errs = []

    def body():
        try:
            with open("/etc/hostname", "rb") as f:
                f.read()
        except OSError as e:
            errs.append(e.errno)

    ts = [threading.Thread(target=body) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise Refused(errs[0])
    return f"threads {n}"


def a_pids(path, *cmd):
    with open(path, "a") as f:
        f.write(f"{os.getpid()}\n")
    flush()
    os.execv(cmd[0], list(cmd))


ACTIONS = {
    "open": a_open,
    "read": a_read,
    "openat": a_openat,
    "openat2": a_openat2,
    "plant-read": a_plant_read,
    "create": a_create,
    "rename": a_rename,
    "unlink": a_unlink,
    "truncate": a_truncate,
    "execve": a_execve,
    "execveat": a_execveat,
    "fork-exec": a_fork_exec,
    "thread-exec": a_thread_exec,
    "execveat-fd": a_execveat_fd,
    "memfd-exec": a_memfd_exec,
    "spawn": a_spawn,
    "connect": a_connect,
    "connect-unix": a_connect_unix,
    "sendto": a_sendto,
    "sendmsg": a_sendmsg,
    "io_uring": a_io_uring,
    "threads": a_threads,
    "pids": a_pids,
}


def main(argv):
    if len(argv) > 2 and argv[1] == "--cd":
        os.chdir(argv[2])
        argv = [argv[0], *argv[3:]]
    if len(argv) < 2 or argv[1] not in ACTIONS:
        sys.stderr.write(f"usage: attempt.py ACTION ARGS...  (actions: {' '.join(ACTIONS)})\n")
        return 2
    try:
        said = ACTIONS[argv[1]](*argv[2:])
    except TypeError as e:
        sys.stderr.write(f"attempt.py {argv[1]}: {e}\n")
        return 2
    except Refused as e:
        print(f"refused {errno.errorcode.get(e.err, e.err)}")
        return 0
    except OSError as e:
        print(f"refused {errno.errorcode.get(e.errno, e.errno) if e.errno else type(e).__name__}")
        return 0
    if said is not None:
        print(f"ok {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
