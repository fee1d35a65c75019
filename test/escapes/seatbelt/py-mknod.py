# os.mknod of a regular file in a tree files.write does not grant: no audit event for it.
import os
import stat

from _attempt import env, escaped, step

path = env('NEW')
step('os.mknod', lambda: os.mknod(path, 0o644 | stat.S_IFREG))
escaped('os.mknod made %s' % path)
