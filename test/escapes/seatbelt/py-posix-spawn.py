# os.posix_spawn of /bin/sh.
import os

from _attempt import env, shell_line, step, wait_child

env('SECRET')
pid = step('os.posix_spawn', lambda: os.posix_spawn('/bin/sh', ['sh', '-c', shell_line('os.posix_spawn')], os.environ))
wait_child(pid, 'os.posix_spawn')
