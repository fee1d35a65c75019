# os.mkfifo in a tree files.write does not grant: CPython raises no audit event for it.
import os

from _attempt import env, escaped, step

path = env('NEW')
step('os.mkfifo', lambda: os.mkfifo(path))
escaped('os.mkfifo made %s' % path)
