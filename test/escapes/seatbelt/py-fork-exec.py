# _posixsubprocess.fork_exec called directly (CPython raises no audit event for it).
import _posixsubprocess
import os

from _attempt import env, error, shell_line, step, wait_child

env('SECRET')


def fork_exec():
    argv = [b'/bin/sh', b'-c', shell_line('_posixsubprocess.fork_exec').encode()]
    envp = [b'%s=%s' % (k, v) for k, v in os.environb.items()]
    r, w = os.pipe()
    try:
        # CPython 3.11 to 3.13: (args, executable_list, close_fds, pass_fds, cwd, env, p2cread,
        # p2cwrite, c2pread, c2pwrite, errread, errwrite, errpipe_read, errpipe_write,
        # restore_signals, call_setsid, pgid_to_set, gid, extra_groups, uid, child_umask,
        # preexec_fn, allow_vfork)
        return _posixsubprocess.fork_exec(argv, [b'/bin/sh'], True, (w,), None, envp, -1, -1, -1, -1, -1, -1,
                                          r, w, True, False, -1, None, None, None, -1, None, False)
    finally:
        os.close(w)
        os.close(r)


pid = step('_posixsubprocess.fork_exec', fork_exec)
if not isinstance(pid, int):
    error('fork_exec returned %r' % (pid,))
wait_child(pid, '_posixsubprocess.fork_exec')
