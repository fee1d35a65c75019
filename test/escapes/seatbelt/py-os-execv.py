# os.execv: this process becomes /bin/sh.
import os

from _attempt import env, shell_line, step

env('SECRET')
step('os.execv', lambda: os.execv('/bin/sh', ['sh', '-c', shell_line('os.execv')]))
