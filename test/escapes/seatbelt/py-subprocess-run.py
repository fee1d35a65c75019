# subprocess.run of /bin/sh (exec.allow [], process.fork: false).
import subprocess

from _attempt import env, shell_line, step

env('SECRET')
step('subprocess.run', lambda: subprocess.run(['/bin/sh', '-c', shell_line('subprocess.run')], check=True))
