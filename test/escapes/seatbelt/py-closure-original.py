# The original _posixsubprocess.fork_exec, taken from the checking wrapper's __closure__ (the
# launcher's wrappers are plain closures), runs /bin/sh unchecked.
import _posixsubprocess
import os

from _attempt import env, error, note, shell_line, step, wait_child

env('SECRET')
fe = _posixsubprocess.fork_exec
orig = fe
for cell in getattr(fe, '__closure__', None) or ():
    try:
        v = cell.cell_contents
    except ValueError:
        continue
    if type(v).__name__ == 'builtin_function_or_method' and getattr(v, '__name__', '') == 'fork_exec':
        orig = v
note('fork_exec is %s; calling %s' % ('a wrapper' if orig is not fe else 'the builtin', orig))


def fork_exec():
    argv = [b'/bin/sh', b'-c', shell_line('the original fork_exec from __closure__').encode()]
    envp = [b'%s=%s' % (k, v) for k, v in os.environb.items()]
    r, w = os.pipe()
    try:
        return orig(argv, [b'/bin/sh'], True, (w,), None, envp, -1, -1, -1, -1, -1, -1,
                    r, w, True, False, -1, None, None, None, -1, None, False)
    finally:
        os.close(w)
        os.close(r)


pid = step('fork_exec (the original)', fork_exec)
if not isinstance(pid, int):
    error('fork_exec returned %r' % (pid,))
wait_child(pid, 'fork_exec')
