# A symlink in the writable /tmp (SB_TMP) to the denied file, then open() through it.
import os

from _attempt import env, escaped, step

link = os.path.join(env('TMP'), 'mylink')
step('os.symlink', lambda: os.symlink(env('SECRET'), link))
with step('open(link)', lambda: open(link)) as f:
    escaped('read through a symlink in /tmp: ' + f.read())
