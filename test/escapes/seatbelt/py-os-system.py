# os.system: a command through /bin/sh.
import os

from _attempt import env, error, shell_line, step

env('SECRET')
status = step('os.system', lambda: os.system(shell_line('os.system')))
if status != 0:
    error('os.system returned %d' % status)
