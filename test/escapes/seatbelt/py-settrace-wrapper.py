# sys.settrace on the checking wrapper's locals: subprocess runs an allowed program (exec.allow
# names /usr/bin/true); when the check returns, the tracer rewrites the wrapper's argument list,
# and the original fork_exec runs /bin/sh.
import subprocess
import sys

from _attempt import env, note, shell_line, step

env('SECRET')
swap = [b'/bin/sh', b'-c', shell_line('sys.settrace on the wrapper').encode()]
swapped = []


def on_check(frame, event, arg):
    if event == 'return':
        args = frame.f_back.f_locals.get('args')
        if isinstance(args, list) and len(args) > 1:
            args[0] = swap
            args[1] = (b'/bin/sh',)
            swapped.append(frame.f_back.f_code.co_name)
    return on_check


def tracer(frame, event, arg):
    return on_check if frame.f_code.co_name == 'fork_exec_check' else None


import _posixsubprocess  # noqa: E402
wrapped = type(_posixsubprocess.fork_exec).__name__ == 'function'
note('fork_exec is %s' % ('wrapped: the tracer rewrites its arguments' if wrapped else 'the builtin: /bin/sh is run directly'))
step('sys.settrace', lambda: sys.settrace(tracer))
argv = ['/usr/bin/true'] if wrapped else ['/bin/sh', '-c', swap[2].decode()]
step('subprocess.run', lambda: subprocess.run(argv, check=True))
sys.settrace(None)
if wrapped and not swapped:
    note('the tracer never saw the check return')
